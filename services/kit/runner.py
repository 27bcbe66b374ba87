"""Run one service: migrations, pool, broker with its consumer, outbox relay, graceful stop."""
from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Awaitable, Callable, Mapping

from services.kit import consumer, health, heap, offsets
from services.kit.broker import kafka_consumers, make_broker
from services.kit.context import ServiceContext
from services.kit.db import connect_with_retry, migrate
from services.kit.outbox import Relay
from services.kit.settings import Settings
from services.kit.span_store import migrate_telemetry
from services.kit.telemetry import setup_tracing, span_store

log = logging.getLogger(__name__)


Background = Callable[[ServiceContext], Awaitable[None]]


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    migrations: tuple[Path, ...]           # folders of *.sql, applied in order
    handlers: dict[str, consumer.Handler]  # event_type -> handler
    background: tuple[Background, ...] = ()  # long-running tasks (HTTP server, sweepers)
    after_commit: tuple[Callable[[], None], ...] = ()  # e.g. wake a worker that acts on what handlers wrote
    # event type -> a worker to wake after a batch that handled one: a worker whose work only some events make
    # is not woken, and does not poll, after every other batch
    wake_on: Mapping[str, Callable[[], None]] = field(default_factory=dict)
    max_batch: int = consumer.BATCH_RECORDS  # 1 when a handler has an outside effect a batch rollback would repeat

    @property
    def schema(self) -> str:
        return self.name

    @property
    def group_id(self) -> str:
        """Its consumer group; compose's Kafka ACLs grant READ on exactly this one (jointaid.kafka_acls)."""
        return self.name


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("aiokafka", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING if noisy == "httpx" else logging.ERROR)


async def start(spec: ServiceSpec, settings: Settings) -> ServiceContext:
    setup_tracing(spec.name, settings.otlp_endpoint)
    applied = await migrate(settings.database_url, spec.schema, spec.migrations)
    if applied:
        log.info("%s: applied migrations %s", spec.name, ", ".join(applied))
    await migrate_telemetry(settings.database_url)  # shared operational schema for spans
    ctx = ServiceContext(spec.name, settings, make_broker(settings, spec.name), group_id=spec.group_id,
                         after_commit=spec.after_commit, wake_on=spec.wake_on)
    ctx.pool = await connect_with_retry(settings.database_url, spec.schema)
    ctx.relay = Relay(ctx.pool, ctx.broker, service=spec.name)
    if spec.handlers:
        consumer.subscribe(ctx, spec.handlers, spec.max_batch)
    await ctx.broker.start()
    for kafka in kafka_consumers(ctx.broker):
        offsets.install(kafka)  # FastStream acknowledges each batch; the group coordinator hears of it a little later
    return ctx


async def stop(ctx: ServiceContext) -> None:
    await ctx.broker.stop()
    await ctx.pool.close()


async def serve(spec: ServiceSpec, settings: Settings) -> None:
    """Run until SIGTERM/SIGINT, then stop consuming, let the relay finish its batch, close."""
    ctx = await start(spec, settings)
    heap.settle_after_start()
    serving_http = []
    if settings.metrics_port:  # this process's own metrics, /healthz and /readyz (compose's and deploy/k8s's workers)
        serving_http.append(await health.start(ctx, settings.metrics_port))
        log.info("%s: metrics, /healthz and /readyz on :%d", spec.name, settings.metrics_port)
    spans = span_store()
    flushing = asyncio.create_task(spans.run(settings.database_url), name="span-store") if spans else None
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    tasks = [asyncio.create_task(ctx.relay.run(), name="relay"), *serving_http]
    tasks += [asyncio.create_task(job(ctx), name=getattr(job, "__name__", "job")) for job in spec.background]
    log.info("%s: running", spec.name)
    done_waiter = asyncio.create_task(stopping.wait())
    finished, _ = await asyncio.wait([done_waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
    for task in finished:
        if task is not done_waiter and task.exception():
            log.error("%s: %s stopped: %r", spec.name, task.get_name(), task.exception())
    log.info("%s: stopping", spec.name)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await stop(ctx)
    if flushing:  # last, so the spans of the stop itself are written too
        flushing.cancel()
        await asyncio.gather(flushing, return_exceptions=True)
    log.info("%s: stopped", spec.name)

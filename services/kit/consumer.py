"""One consumer per service: parse, dedupe, handle in one transaction per batch, then acknowledge.

- Events come in batches, applied in one transaction; offsets are committed after it commits
  (NACK_ON_ERROR: a raised error rewinds to the batch's first message, so it is delivered again).
- The inbox makes a redelivery change nothing.
- An event that fails validation, or whose handler keeps failing, goes to `aid.dlq` with the
  error and its origin in headers; the partition keeps flowing.
- A database outage is not the event's fault: it is retried without limit, never dead-lettered.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Awaitable, Callable, Literal, Union

import asyncpg
from faststream import AckPolicy
from opentelemetry import context as otel_context, propagate, trace
from opentelemetry.trace import SpanKind
from pydantic import BaseModel, Field, TypeAdapter, ValidationError, create_model

from contracts import topics
from contracts.routes import EVENT_TYPE_HEADER
from contracts.envelope import Envelope, new_envelope
from contracts.events import EVENT_MODELS
from services.kit import inbox, metrics, outbox, tracing
from services.kit.broker import without_idle_sleep
from services.kit.fetch_wait import LoadFollowingWait
from services.kit.db import CONNECTION_ERRORS

if TYPE_CHECKING:
    from services.kit.context import ServiceContext

log = logging.getLogger(__name__)
HANDLER_ATTEMPTS = 3
BATCH_RECORDS = 200
# The fetch wait (Settings.fetch_wait_ms, JOINTAID_FETCH_WAIT_MS). Tansu 0.6 answers a fetch only at its polls, about
# half the wait apart (measured: produce->consume at most 47 ms with a 100 ms wait, 112 with 250, 181 with 400;
# README, seventh round): a linger at every hop. Measured (bench, 2 cores, no FastStream idle sleep):
# 100 ms -> 37.3 ms CPU/app at 50/s, 27.9 at saturation (58.9 apps/s), quiet p50 0.24 s; 250 ms -> 27.9-29.4 at
# 50/s (same p99), 20.9 at saturation (74.6 apps/s), quiet p50 0.55 s; 500 ms -> 23.8 at 50/s but p99 1.8 s.
# Hence a wait that follows the load (services/kit/fetch_wait.py): 100 ms while quiet, this one while busy.
IDLE_GET_MS = 1000  # how long an empty get waits for records before the consume loop looks whether to stop
tracer = trace.get_tracer("jointaid.consumer")


@dataclass
class Tx:
    """What a handler gets: its transaction's connection and a way to emit events through the outbox."""

    conn: asyncpg.Connection
    producer: str
    application_id: object
    deferred: list | None = field(default=None, repr=False)  # a batch's outbox rows, written before it commits
    context: object = field(default=None, repr=False)  # the event's span context in a set-based call (else current)

    def trace_headers(self) -> dict[str, str]:
        """This event's trace context, to keep on a row (the current one unless the Tx carries its own)."""
        return tracing.capture(self.context)

    async def emit(self, event_type: str, data: BaseModel, key=None) -> Envelope:
        """key: the event's Kafka key (the envelope's application_id) when it is not the application's,
        e.g. a recipient's or a run's."""
        event = new_envelope(event_type, key or self.application_id, self.producer, data)
        if self.deferred is None:
            await outbox.enqueue(self.conn, topic_of(event_type), event, data)
        else:
            self.deferred.append(outbox.row(topic_of(event_type), event, data, self.trace_headers()))
        return event

    @contextlib.contextmanager
    def active(self):
        """Make this event's span current (in a set-based call), e.g. around spans it starts."""
        if self.context is None:
            yield
            return
        token = otel_context.attach(self.context)
        try:
            yield
        finally:
            otel_context.detach(token)


Handler = Callable[[Tx, Envelope, BaseModel], Awaitable[None]]


@dataclass
class Item:
    """One event of a set-based call: `handler.many(conn, items)` handles a batch's run of one event type
    in a few statements instead of a few per event; each item's `tx` emits under its own event's span."""

    tx: Tx
    event: Envelope
    data: BaseModel


def topic_of(event_type: str) -> str:
    """aid.decision.made.v1 -> aid.decision.made"""
    return event_type.rsplit(".", 1)[0]


def _typed_envelope(event_type: str, model: type[BaseModel]) -> type[Envelope]:
    """The envelope of one event type, its data typed: validated in the same pass as the envelope."""
    return create_model(f"Envelope[{event_type}]", __base__=Envelope,
                        event_type=(Literal[event_type], ...), data=(model, ...))


# Straight from bytes into the typed event: one JSON decode and one validation per message, the
# envelope's event_type choosing the data model (an unknown type fails validation like bad data).
TYPED_EVENT = TypeAdapter(Annotated[Union[tuple(_typed_envelope(t, m) for t, m in sorted(EVENT_MODELS.items()))],
                                    Field(discriminator="event_type")])


def parse(raw: bytes) -> tuple[Envelope, BaseModel]:
    event = TYPED_EVENT.validate_json(raw)
    return event, event.data


async def handle(ctx: "ServiceContext", handler: Handler, event: Envelope, data: BaseModel) -> bool:
    """Apply one event in one transaction; False when the inbox had it already."""
    async with ctx.pool.acquire() as conn, conn.transaction():
        if not await inbox.claim(conn, ctx.name, event.event_id):
            return False
        emitted: list[tuple] = []
        await handler(Tx(conn, ctx.name, event.application_id, emitted), event, data)
        ids = await outbox.insert_for_relay(conn, emitted)  # the event's outbox rows in one statement, as a batch's
    committed(ctx, ids, emitted, (event.event_type,))
    return True


def committed(ctx: "ServiceContext", ids: list[int], rows: list[tuple], event_types) -> None:
    """After a commit: the relay publishes its events from memory, and workers may have work (`event_types`:
    what the batch handled)."""
    ctx.relay.hand(ids, rows)
    for wake in ctx.after_commit:
        wake()
    for wake in {ctx.wake_on[t] for t in event_types if t in ctx.wake_on}:
        wake()


def describe(exc: Exception) -> str:
    """An error in words, without echoing input values (they may hold personal data)."""
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_input=False))[:500]
    return f"{type(exc).__name__}: {str(exc)[:500]}"


def subscribe(ctx: "ServiceContext", handlers: dict[str, Handler], max_batch: int = BATCH_RECORDS) -> None:
    """Register the service's single consumer, in batches, over every topic its handlers need."""
    wanted = sorted({topic_of(t) for t in handlers})
    metrics.prime(ctx.name)

    async def consume(records) -> None:  # the batch's ConsumerRecords, as `raw_records` hands them over
        deliveries, invalid = [], []
        for record in records:
            if skipped_by_headers(record.headers, handlers):
                continue
            try:
                event, data = parse(record.value)
            except (ValidationError, ValueError) as exc:
                invalid.append((record, f"invalid event: {describe(exc)}"))
                continue
            if (handler := handlers.get(event.event_type)) is not None and wanted_by(handler, data):
                deliveries.append(Delivery(record, event, data, handler))
        if deliveries:
            await apply_batch(ctx, deliveries)
        for record, error in invalid:  # after the batch held: a redelivered batch does not dead-letter twice
            await dead_letter(ctx, record, error)

    fetch_wait = LoadFollowingWait(ctx.settings.fetch_wait_ms)
    subscriber = ctx.broker.subscriber(
        *wanted, group_id=ctx.group_id, auto_offset_reset="earliest", ack_policy=AckPolicy.NACK_ON_ERROR,
        batch=True, max_records=max_batch, fetch_max_wait_ms=fetch_wait.wait_ms, decoder=raw_records,
    )
    subscriber(consume)
    without_idle_sleep(subscriber, IDLE_GET_MS, fetch_wait)


async def raw_records(message) -> tuple:
    """FastStream's decoder would json-decode (and re-parse) every body the kit then parses itself:
    hand the handler the ConsumerRecords instead, so each message is decoded once, by `parse`."""
    return message.raw_message


def skipped_by_headers(headers, handlers: dict[str, Handler]) -> bool:
    """True when the routing headers alone show that no handler acts on the message: its body is never
    decoded. A message without them (an older one, a replay) is parsed and judged by `wanted_by`."""
    found = {name: value for name, value in headers or ()}
    event_type = found.get(EVENT_TYPE_HEADER)
    if event_type is None:
        return False
    handler = handlers.get(event_type.decode(errors="replace"))
    if handler is None:
        return True
    wants = getattr(handler, "wants_headers", {})
    return any(name in found and found[name].decode(errors="replace") != value for name, value in wants.items())


def wanted_by(handler: Handler, data: BaseModel) -> bool:
    """A handler may declare `accepts(data)` to skip events it ignores before any database work."""
    accepts = getattr(handler, "accepts", None)
    return accepts is None or accepts(data)


@dataclass
class Delivery:
    record: object  # aiokafka ConsumerRecord
    event: Envelope
    data: BaseModel
    handler: Handler


async def apply_batch(ctx: "ServiceContext", deliveries: list[Delivery]) -> None:
    """A batch in one transaction (one commit, then one offset commit); one by one if any event fails.

    Each event is handled under a span continued from its own message's trace, so every
    application keeps one trace although its events are processed in batches.
    """
    if len(deliveries) == 1:
        await _apply_alone(ctx, deliveries[0])
        return
    started = time.perf_counter()
    try:
        async with ctx.pool.acquire() as conn, conn.transaction():
            fresh = await inbox.claim_many(conn, ctx.name, [d.event.event_id for d in deliveries])
            emitted: list[tuple] = []
            applied = _first_copies(deliveries, fresh)
            for run in _runs(deliveries, applied):
                await _apply_run(ctx, conn, run, emitted)
            ids = await outbox.insert_for_relay(conn, emitted)
    except CONNECTION_ERRORS:
        metrics.processed(ctx.name, "retried")
        log.warning("%s: database unavailable; %d events will be redelivered", ctx.name, len(deliveries))
        await asyncio.sleep(1.0)
        raise
    except Exception as exc:  # one bad event must not hold back the others
        log.warning("%s: a batch of %d failed (%s); applying its events one by one", ctx.name, len(deliveries), describe(exc))
        for delivery in deliveries:
            await _apply_alone(ctx, delivery)
        return
    committed(ctx, ids, emitted, {d.event.event_type for d, done in zip(deliveries, applied) if done})
    elapsed = (time.perf_counter() - started) / len(deliveries)
    for delivery, done in zip(deliveries, applied):
        metrics.observe_processing(ctx.name, delivery.event.event_type, elapsed)
        metrics.processed(ctx.name, "handled" if done else "duplicate")


def _first_copies(deliveries: list[Delivery], fresh: set) -> list[bool]:
    """Which deliveries to apply: those the inbox had not seen, each event id once."""
    applied = []
    for delivery in deliveries:
        applied.append(delivery.event.event_id in fresh)
        fresh.discard(delivery.event.event_id)
    return applied


def _runs(deliveries: list[Delivery], applied: list[bool]) -> list[list[Delivery]]:
    """The deliveries to apply, in order, cut into runs of one handler: a set-based handler takes a run in one
    call, so the batch's order is kept exactly."""
    runs: list[list[Delivery]] = []
    for delivery, apply in zip(deliveries, applied):
        if not apply:
            continue
        if runs and runs[-1][0].handler is delivery.handler and hasattr(delivery.handler, "many"):
            runs[-1].append(delivery)
        else:
            runs.append([delivery])
    return runs


async def _apply_run(ctx: "ServiceContext", conn: asyncpg.Connection, run: list[Delivery], emitted: list[tuple]) -> None:
    """One event, or a run of one set-based handler's events in one call, each under its own span."""
    if len(run) == 1:
        delivery = run[0]
        with continued_span(delivery):
            await delivery.handler(Tx(conn, ctx.name, delivery.event.application_id, emitted), delivery.event, delivery.data)
        return
    spans = [started_span(d) for d in run]
    try:
        items = [Item(Tx(conn, ctx.name, d.event.application_id, emitted, trace.set_span_in_context(span)), d.event, d.data)
                 for d, span in zip(run, spans)]
        await run[0].handler.many(conn, items)
    except Exception as exc:
        for span in spans:
            span.record_exception(exc)
            span.set_status(trace.StatusCode.ERROR)
        raise
    finally:
        for span in spans:
            span.end()


def continued_span(delivery: Delivery):
    """A consumer span whose parent is the publisher's span carried in the message headers (current)."""
    return trace.use_span(started_span(delivery), end_on_exit=True, record_exception=True, set_status_on_exception=True)


def started_span(delivery: Delivery):
    """The event's consumer span, started, not current."""
    record, event = delivery.record, delivery.event
    carrier = {key: value.decode(errors="replace") for key, value in (record.headers or ())}
    return tracer.start_span(
        f"{record.topic} process", context=propagate.extract(carrier), kind=SpanKind.CONSUMER,
        attributes={"messaging.system": "kafka", "messaging.destination.name": record.topic,
                    "messaging.kafka.destination.partition": record.partition, "messaging.kafka.offset": record.offset,
                    "application_id": str(event.application_id), "event_type": event.event_type},
    )


async def _apply_alone(ctx: "ServiceContext", delivery: Delivery) -> None:
    """One event in its own transaction, retried with backoff, dead-lettered after the last attempt."""
    for attempt in range(1, HANDLER_ATTEMPTS + 1):
        started = time.perf_counter()
        try:
            with continued_span(delivery):
                applied = await handle(ctx, delivery.handler, delivery.event, delivery.data)
            metrics.observe_processing(ctx.name, delivery.event.event_type, time.perf_counter() - started)
            metrics.processed(ctx.name, "handled" if applied else "duplicate")
            return
        except CONNECTION_ERRORS:
            metrics.processed(ctx.name, "retried")
            await asyncio.sleep(1.0)
            raise
        except Exception as exc:
            log.exception("%s: handler failed on %s (attempt %d) for application %s",
                          ctx.name, delivery.event.event_type, attempt, delivery.event.application_id)
            if attempt == HANDLER_ATTEMPTS:
                await dead_letter(ctx, delivery.record, f"handler failed {attempt} times: {describe(exc)}")
                return
            metrics.processed(ctx.name, "retried")
            await asyncio.sleep(0.1 * 2**attempt)


async def dead_letter(ctx: "ServiceContext", record, error: str) -> None:
    metrics.processed(ctx.name, "dead_lettered")
    await ctx.broker.publish(
        record.value,
        topics.DLQ,
        key=record.key,
        headers={
            "x-error": error,
            "x-origin-topic": record.topic,
            "x-origin-partition": str(record.partition),
            "x-origin-offset": str(record.offset),
            "x-consumer": ctx.name,
        },
    )
    log.error("%s: dead-lettered %s[%s]@%s: %s", ctx.name, record.topic, record.partition, record.offset, error[:200])

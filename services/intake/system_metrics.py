"""GET /metrics: the services' process metrics plus system-wide figures computed at scrape time.

- `jointaid_events_processed_total`, `jointaid_event_processing_seconds`, `faststream_*` are the process
  metrics (services/kit/metrics.py, FastStream's KafkaPrometheusMiddleware): under `jointaid up`
  (PROMETHEUS_MULTIPROC_DIR set) every service process's, aggregated from the shared folder; otherwise
  intake's own process only (services.kit.metrics.scrape_registry);
- `jointaid_applications`, `jointaid_applications_stuck`, `jointaid_submit_to_notified_last_hour_seconds`, `jointaid_notified_last_hour`
  are read from intake's status view (the whole system's progress, as intake sees it);
- `jointaid_dlq_messages`, `jointaid_consumer_lag` are read from Kafka (best effort, short
  timeout, cached a few seconds); `jointaid_kafka_figures_ok` says whether that worked.
See docs/observability.md. No personal data: labels are statuses, services and quantiles.
"""
from __future__ import annotations

import asyncio
import logging
import time

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from contracts import topics
from services.intake.status_view import RANK
from services.kit.metrics import scrape_registry
from services.kit.kafka_security import client_options
from services.kit.settings import SERVICES

log = logging.getLogger(__name__)
STUCK_MINUTES = 10
KAFKA_TIMEOUT = 3.0
KAFKA_CACHE_SECONDS = 10.0
QUANTILES = (0.5, 0.9, 0.99)


class _Snapshot:
    """A collector that yields families computed just before the scrape."""

    def __init__(self, families):
        self._families = families

    def collect(self):
        return iter(self._families)


async def _database_families(pool) -> list:
    async with pool.acquire(timeout=2) as conn:
        by_status = dict(await conn.fetch("SELECT status, count(*) FROM applications GROUP BY status"))
        stuck = await conn.fetchval(
            "SELECT count(*) FROM applications WHERE status <> 'notified' AND submitted_at < now() - make_interval(mins => $1)",
            STUCK_MINUTES,
        )
        latency = await conn.fetchrow(
            "SELECT count(*) AS n, percentile_cont($1::float8[]) WITHIN GROUP (ORDER BY s) AS q"
            " FROM (SELECT extract(epoch FROM updated_at - submitted_at)::float8 AS s FROM applications"
            "       WHERE status = 'notified' AND updated_at > now() - interval '1 hour') AS done",
            list(QUANTILES),
        )
    apps = GaugeMetricFamily("jointaid_applications", "Applications by current status (intake's status view)",
                             labels=["status"])
    for status in sorted(set(RANK) | set(by_status)):
        apps.add_metric([status], by_status.get(status, 0))
    stuck_family = GaugeMetricFamily(
        "jointaid_applications_stuck",
        f"Applications not notified and submitted more than {STUCK_MINUTES} minutes ago", value=stuck)
    quantiles = GaugeMetricFamily(
        "jointaid_submit_to_notified_last_hour_seconds",
        "Submit to notified latency of the applications notified in the last hour, by quantile", labels=["quantile"])
    for q, value in zip(QUANTILES, latency["q"] or [None] * len(QUANTILES)):
        quantiles.add_metric([str(q)], float("nan") if value is None else value)
    count = GaugeMetricFamily("jointaid_notified_last_hour", "Applications notified in the last hour",
                              value=latency["n"])
    return [apps, stuck_family, quantiles, count]


_kafka_cache: tuple[float, list] | None = None


async def _kafka_figures(settings) -> tuple[int, dict[str, int]]:
    """(messages on aid.dlq, lag per consumer group) from end offsets and committed offsets."""
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient

    bootstrap, auth = settings.kafka_bootstrap_servers, client_options(settings)  # SASL in compose: intake's own principal
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, client_id="jointaid-metrics", **auth)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="jointaid-metrics", **auth)
    try:
        await consumer.start()
        await admin.start()
        await consumer.topics()  # refresh metadata
        partitions = [TopicPartition(t, p) for t in topics.ALL_TOPICS for p in (consumer.partitions_for_topic(t) or ())]
        end = await consumer.end_offsets(partitions)
        dlq_partitions = [tp for tp in partitions if tp.topic == topics.DLQ]
        begin = await consumer.beginning_offsets(dlq_partitions) if dlq_partitions else {}
        dlq = sum(end[tp] - begin[tp] for tp in dlq_partitions)
        lag = {}
        for group in SERVICES:
            committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
            lag[group] = sum(max(end.get(tp, 0) - meta.offset, 0) for tp, meta in committed.items() if meta.offset >= 0)
        return dlq, lag
    finally:
        await asyncio.gather(consumer.stop(), admin.close(), return_exceptions=True)


async def _kafka_families(settings) -> list:
    global _kafka_cache
    if _kafka_cache is not None and time.monotonic() - _kafka_cache[0] < KAFKA_CACHE_SECONDS:
        return _kafka_cache[1]
    ok = GaugeMetricFamily("jointaid_kafka_figures_ok", "1 when the DLQ and lag figures could be read from Kafka",
                           value=0)
    families = [ok]
    try:
        dlq, lag = await asyncio.wait_for(_kafka_figures(settings), KAFKA_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - best effort: the scrape still answers
        log.debug("metrics: Kafka figures unavailable: %s: %s", type(exc).__name__, exc)
    else:
        ok = GaugeMetricFamily("jointaid_kafka_figures_ok", "1 when the DLQ and lag figures could be read from Kafka",
                               value=1)
        lag_family = GaugeMetricFamily("jointaid_consumer_lag",
                                       "Messages not yet committed by each service's consumer group",
                                       labels=["group"])
        for group, value in sorted(lag.items()):
            lag_family.add_metric([group], value)
        families = [ok, GaugeMetricFamily("jointaid_dlq_messages", "Messages on aid.dlq (retained)", value=dlq),
                    lag_family]
    _kafka_cache = (time.monotonic(), families)
    return families


async def kafka_figures(settings) -> tuple[int, dict[str, int]] | None:
    """(messages on aid.dlq, lag per consumer group) as /metrics reads them (same cache); None when Kafka did not answer."""
    families = {family.name: family for family in await _kafka_families(settings)}
    if "jointaid_dlq_messages" not in families:
        return None
    lag = {sample.labels["group"]: int(sample.value) for sample in families["jointaid_consumer_lag"].samples}
    return int(families["jointaid_dlq_messages"].samples[0].value), lag


async def render(ctx) -> bytes:
    database, kafka = await asyncio.gather(
        _database_families(ctx.pool), _kafka_families(ctx.settings), return_exceptions=True
    )
    families = []
    for part in (database, kafka):
        if isinstance(part, BaseException):
            log.warning("metrics: %s: %s", type(part).__name__, part)
        else:
            families += part
    snapshot = CollectorRegistry(auto_describe=False)
    snapshot.register(_Snapshot(families))
    return generate_latest(scrape_registry()) + generate_latest(snapshot)

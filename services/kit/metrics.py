"""Prometheus metrics of this process, and how they are read (docs/observability.md says what each means).

Two modes, chosen by the environment the process starts with:
- **multiprocess** (`PROMETHEUS_MULTIPROC_DIR` set: `jointaid up` sets it to `<data-dir>/metrics` for every
  service process): prometheus_client writes every value to per-process files in that folder, and intake's
  `/metrics` aggregates them all (`scrape_registry()`: a MultiProcessCollector on a fresh registry), so the
  one scrape shows every service's counters. The supervisor calls `mark_dead(pid)` when a child exits, so a
  restarted process's live gauges are not counted twice (counters and histograms of the dead process stay:
  they are the work it did).
- **single process** (unset: one `jointaid run <service>`, compose, tests in-process): `REGISTRY` is this
  process's own; intake serves it, the other services serve it on `JOINTAID_METRICS_PORT` when set
  (services/kit/health.py: on the service's loop, with `/healthz` and `/readyz` beside it).
No personal data in labels: service names, outcomes and event types only.
"""
from __future__ import annotations

import os
from collections import Counter as Tally

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REGISTRY = CollectorRegistry(auto_describe=True)

OUTCOMES = ("handled", "duplicate", "retried", "dead_lettered")

EVENTS_PROCESSED = Counter(
    "jointaid_events_processed",
    "Events taken by a service's consumer, by outcome: handled (applied), duplicate (inbox had it), "
    "retried (handler failed, will try again), dead_lettered (sent to aid.dlq)",
    ["service", "outcome"],
    registry=REGISTRY,
)
PROCESSING_SECONDS = Histogram(
    "jointaid_event_processing_seconds",
    "Time to apply one event (its transaction, inbox included), by service and event type",
    ["service", "event_type"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=REGISTRY,
)
EVENTS_PUBLISHED = Counter(
    "jointaid_events_published",
    "Events the outbox relay published (acknowledged by the broker), by service and topic",
    ["service", "topic"],
    registry=REGISTRY,
)
AUTH_REFUSALS = Counter(
    "jointaid_auth_refusals",
    "HTTP requests refused by the token check, by reason: missing, malformed, algorithm, signature, expired, "
    "not_yet_valid, audience, issuer, claims, unknown_key, too_long, token_in_url, scheme, role, scope, unlisted",
    ["reason"],
    registry=REGISTRY,
)
# FastStream's KafkaPrometheusMiddleware (services/kit/broker.py) reuses a metric of its name already in the
# registry. Its one gauge is registered here first so that, in multiprocess mode, it is summed over the live
# processes (livesum) instead of one series per pid that outlives its process (the default, "all").
# Same name, type and label names as faststream/prometheus/container.py (no custom labels, prefix "faststream").
FASTSTREAM_IN_PROCESS = Gauge(
    "faststream_received_messages_in_process",
    "Gauge of received messages in process by broker and handler",
    ["app_name", "broker", "handler"],
    registry=REGISTRY,
    multiprocess_mode="livesum",
)


def processed(service: str, outcome: str) -> None:
    EVENTS_PROCESSED.labels(service, outcome).inc()


def published(service: str, topics: list[str]) -> None:
    """A relayed batch: one increment per topic, not per event."""
    for topic, count in Tally(topics).items():
        EVENTS_PUBLISHED.labels(service, topic).inc(count)


def observe_processing(service: str, event_type: str, seconds: float) -> None:
    PROCESSING_SECONDS.labels(service, event_type).observe(seconds)


def prime(service: str) -> None:
    """Create every outcome's series at 0, so a scrape shows them before the first event."""
    for outcome in OUTCOMES:
        EVENTS_PROCESSED.labels(service, outcome)


def multiprocess_dir() -> str | None:
    """The shared metrics folder when this process runs in multiprocess mode, else None."""
    return os.environ.get(MULTIPROC_ENV) or None


def scrape_registry() -> CollectorRegistry:
    """What a scrape of the system's process metrics reads: in multiprocess mode a fresh registry over every
    process's files (intake's own included); otherwise this process's REGISTRY."""
    path = multiprocess_dir()
    if path is None:
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry(auto_describe=False)
    multiprocess.MultiProcessCollector(registry, path=path)
    return registry


def mark_dead(pid: int, path: str | os.PathLike | None) -> None:
    """Bookkeeping when a service process of a multiprocess folder has exited: drop its live gauges' files."""
    if not path:
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid, str(path))


def serve_http(port: int) -> None:
    """Expose this process's own metrics on http://0.0.0.0:<port>/ (any path; a daemon thread). The bare exporter:
    `jointaid run` serves services.kit.health instead, the same metrics plus the workers' probes."""
    from prometheus_client import start_http_server

    start_http_server(port, registry=REGISTRY)

"""Prometheus metrics of this process (one registry per service process).

Only intake serves HTTP, so only intake's own process metrics are scraped directly; the
cross-service figures intake serves are computed from the database and Kafka at scrape time
(services/intake/system_metrics.py; docs/observability.md says what each means). No personal data in labels:
service names, outcomes and event types only.
"""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

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


def processed(service: str, outcome: str) -> None:
    EVENTS_PROCESSED.labels(service, outcome).inc()


def observe_processing(service: str, event_type: str, seconds: float) -> None:
    PROCESSING_SECONDS.labels(service, event_type).observe(seconds)


def prime(service: str) -> None:
    """Create every outcome's series at 0, so a scrape shows them before the first event."""
    for outcome in OUTCOMES:
        EVENTS_PROCESSED.labels(service, outcome)

"""The Kafka broker every service builds the same way: telemetry, metrics, acks=all, idempotence as set."""
from __future__ import annotations

import logging

from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from opentelemetry import trace

from services.kit.metrics import REGISTRY
from services.kit.settings import Settings


def make_broker(settings: Settings, client_id: str) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=f"jointaid-{client_id}",
        acks="all",
        enable_idempotence=settings.enable_idempotence,
        linger_ms=2,
        middlewares=(
            KafkaTelemetryMiddleware(tracer_provider=trace.get_tracer_provider()),
            # per-process consume/publish counters and latencies (faststream_* in /metrics)
            KafkaPrometheusMiddleware(registry=REGISTRY, app_name=client_id),
        ),
        log_level=logging.DEBUG,  # one log line per message is noise at INFO
    )

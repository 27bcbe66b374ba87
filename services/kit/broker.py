"""The Kafka broker every service builds the same way: telemetry, acks=all, idempotence as set."""
from __future__ import annotations

import logging

from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry import trace

from services.kit.settings import Settings


def make_broker(settings: Settings, client_id: str) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=f"jointaid-{client_id}",
        acks="all",
        enable_idempotence=settings.enable_idempotence,
        linger_ms=2,
        middlewares=(KafkaTelemetryMiddleware(tracer_provider=trace.get_tracer_provider()),),
        log_level=logging.DEBUG,  # one log line per message is noise at INFO
    )

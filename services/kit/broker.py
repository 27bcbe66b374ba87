"""The Kafka broker every service builds the same way: metrics, acks=all, idempotence and SASL as set."""
from __future__ import annotations

import logging
from itertools import chain

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware

from services.kit.fetch_wait import LoadFollowingWait
from services.kit.kafka_security import security
from services.kit.metrics import REGISTRY
from services.kit.settings import Settings


def make_broker(settings: Settings, client_id: str) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=f"jointaid-{client_id}",
        acks="all",
        enable_idempotence=settings.enable_idempotence,
        linger_ms=2,
        security=security(settings),  # None = PLAINTEXT (embedded broker); SCRAM in compose
        # Topics are created before the services start (jointaid.topics). Behind ACLs a service may not
        # create any, so its subscriber should not ask: each refusal would be logged as a warning.
        allow_auto_create_topics=settings.kafka_security_protocol == "PLAINTEXT",
        # No FastStream telemetry middleware: the kit makes one span per event handled (consumer) and one
        # per publish (outbox relay), which is all a trace needs; the middleware tripled that.
        middlewares=(
            # per-process consume/publish counters and latencies (faststream_* in /metrics)
            KafkaPrometheusMiddleware(registry=REGISTRY, app_name=client_id),
        ),
        log_level=logging.DEBUG,  # one log line per message is noise at INFO
    )


def kafka_producer(broker: KafkaBroker) -> AIOKafkaProducer:
    """The started broker's own aiokafka producer (its connection, acks and security). The outbox relay sends
    through it directly: FastStream's publish path (command object, correlation id, middleware scope) cost more
    than the send itself for every relayed event. FastStream 0.7 keeps it behind private attributes (the version
    is pinned; tests/integration/test_relay_handoff.py publishes through it). Raises IncorrectState before start."""
    return broker.config.producer._producer.producer


def without_idle_sleep(subscriber, wait_ms: int, fetch_wait: LoadFollowingWait) -> None:
    """FastStream 0.7's batch subscriber sleeps a whole `batch_timeout_ms` (200 ms by default) after every empty
    `getmany`, and whatever arrives meanwhile waits out the sleep: on a quiet system ~50 ms of every hop, and up to
    200. Its get is replaced by one that waits in `getmany` alone (which returns as soon as records are buffered)
    and returns nothing after `wait_ms`, so the consume loop checks whether it should stop. `fetch_wait` sets the
    consumer's fetch wait from what the gets bring (aiokafka's fetcher reads it for every request). Pinned version,
    as `kafka_producer`."""

    async def get_msg(consumer: AIOKafkaConsumer) -> tuple:
        consumer._fetcher._fetch_max_wait_ms = fetch_wait.wait_ms
        messages = tuple(chain.from_iterable(
            (await consumer.getmany(timeout_ms=wait_ms, max_records=subscriber.max_records)).values()))
        fetch_wait.observe(len(messages))
        return messages

    subscriber.get_msg = get_msg


def kafka_consumers(broker: KafkaBroker) -> list[AIOKafkaConsumer]:
    """The started broker's aiokafka consumers, one per subscriber."""
    return [s.consumer for s in broker.subscribers if getattr(s, "consumer", None) is not None]

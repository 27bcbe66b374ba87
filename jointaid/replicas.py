"""`jointaid up --replicas SERVICE=N`: several processes of one service in its one consumer group.

Kafka gives each partition to one member of a group, so a replica beyond the partition count of
every topic it reads would sit idle: start-up refuses that rather than run it.
"""
from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient
from faststream.security import BaseSecurity

from jointaid import registry
from services.kit.consumer import topic_of
from services.kit.kafka_security import client_options


class ReplicaError(ValueError):
    """A --replicas value that cannot be run; the message names the rule."""


def parse_replicas(values: list[str], services: tuple[str, ...]) -> dict[str, int]:
    """['civil_affairs=2', ...] -> {'civil_affairs': 2}; every service not named runs once."""
    counts = dict.fromkeys(services, 1)
    for value in values:
        service, sep, number = value.partition("=")
        if not sep or service not in counts:
            raise ReplicaError(f"--replicas {value!r}: expected SERVICE=N with SERVICE one of {', '.join(services)}")
        if not number.isdigit() or not 1 <= int(number) <= 64:
            raise ReplicaError(f"--replicas {value!r}: N must be a whole number from 1 to 64")
        counts[service] = int(number)
    return counts


def process_names(counts: dict[str, int]) -> dict[str, str]:
    """Process name -> its service: the first replica keeps the service's name (pid and log files)."""
    return {(service if i == 1 else f"{service}-{i}"): service for service, n in counts.items() for i in range(1, n + 1)}


def topics_read(service: str) -> set[str]:
    return {topic_of(event_type) for event_type, services in registry.consumers().items() if service in services}


def too_few_partitions(counts: dict[str, int], partitions: dict[str, int]) -> list[str]:
    """Each rule broken: a service with more replicas than partitions in a topic it reads."""
    return [f"{service}: {n} replicas but {topic} has {partitions[topic]} partitions (partitions must be ≥ replicas)"
            for service, n in sorted(counts.items()) if n > 1
            for topic in sorted(topics_read(service)) if partitions.get(topic, 0) < n]


async def partition_counts(bootstrap: str, security: BaseSecurity | None = None) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="jointaid-admin", **client_options(security))
    await admin.start()
    try:
        described = await admin.describe_topics()
    finally:
        await admin.close()
    return {t["topic"]: len(t["partitions"]) for t in described if not t.get("error_code")}

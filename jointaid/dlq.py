"""`jointaid dlq list|replay`: what went to the dead-letter topic, and sending one back after a fix.

A message is named PARTITION:OFFSET on aid.dlq. Replay re-publishes its original body, with its
key, to the topic it came from: every consumer of that topic sees it again, and the inboxes make
that harmless for those that had applied it.
"""
from __future__ import annotations

import asyncio
import json

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from faststream.security import BaseSecurity

from contracts.topics import DLQ
from services.kit.kafka_security import client_options, security_from_env


async def read_all(bootstrap: str, timeout_ms: int = 2000, *, security: BaseSecurity | None = None) -> list:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None,
                                **client_options(security))
    await consumer.start()
    try:
        partitions = [TopicPartition(DLQ, p) for p in (consumer.partitions_for_topic(DLQ) or ())]
        if not partitions:
            await consumer.topics()
            partitions = [TopicPartition(DLQ, p) for p in (consumer.partitions_for_topic(DLQ) or ())]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            batch = await consumer.getmany(*partitions, timeout_ms=timeout_ms)
            if not batch:
                break
            records += [r for rs in batch.values() for r in rs]
        return sorted(records, key=lambda r: (r.partition, r.offset))
    finally:
        await consumer.stop()


def describe(record) -> dict:
    headers = {k: v.decode(errors="replace") for k, v in record.headers}
    try:
        envelope = json.loads(record.value)
        event_type, application_id = envelope.get("event_type"), envelope.get("application_id")
    except (ValueError, AttributeError):
        event_type = application_id = None
    return {"id": f"{record.partition}:{record.offset}", "origin": headers.get("x-origin-topic"),
            "consumer": headers.get("x-consumer"), "event_type": event_type, "application_id": application_id,
            "error": headers.get("x-error")}


async def list_dead_letters(bootstrap: str, *, security: BaseSecurity | None = None) -> list[dict]:
    return [describe(record) for record in await read_all(bootstrap, security=security)]


async def replay(bootstrap: str, message_id: str, *, security: BaseSecurity | None = None) -> dict:
    wanted = {describe(r)["id"]: r for r in await read_all(bootstrap, security=security)}
    if message_id not in wanted:
        raise SystemExit(f"no message {message_id} on {DLQ} (see `jointaid dlq list`)")
    record = wanted[message_id]
    origin = describe(record)["origin"]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", **client_options(security))
    await producer.start()
    try:
        await producer.send_and_wait(origin, record.value, key=record.key, headers=[("content-type", b"application/json")])
    finally:
        await producer.stop()
    return describe(record)


def run(bootstrap: str, action: str, message_id: str | None) -> int:
    # Reading aid.dlq and writing back to any topic is the admin principal's job (compose): the
    # credentials come from the same KAFKA_SECURITY_PROTOCOL / KAFKA_SASL_* variables as the services.
    security = security_from_env()
    if action == "list":
        rows = asyncio.run(list_dead_letters(bootstrap, security=security))
        for row in rows:
            print(f"{row['id']:>8}  {row['origin'] or '?':<28} {row['consumer'] or '?':<18} {row['event_type'] or '?':<30}"
                  f" {row['application_id'] or '?'}\n          {row['error']}")
        print(f"{len(rows)} dead-lettered message(s)")
        return 0
    row = asyncio.run(replay(bootstrap, message_id, security=security))
    print(f"replayed {row['id']} to {row['origin']}")
    return 0

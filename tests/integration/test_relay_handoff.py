"""The relay publishes a committed batch's rows from memory (no read back), marks them, and leaves the poll for
what nobody handed over: a failed publish's rows stay in the table and the poll publishes them once the broker is back."""
from __future__ import annotations

import asyncio
import json
import time
import uuid

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts.envelope import new_envelope
from contracts.events import CaseEscalated
from contracts.routes import EVENT_TYPE_HEADER
from services.kit import metrics, outbox
from services.kit.broker import make_broker
from services.kit.db import create_pool, migrate
from services.kit.outbox import Relay

SCHEMA = "relay_probe"
TOPIC = "aid.case.escalated"


def rows(n: int) -> list[tuple]:
    application_id = uuid.uuid4()
    return [outbox.row(TOPIC, new_envelope("aid.case.escalated.v1", application_id, "relay_probe", CaseEscalated(reason=f"probe {i}")),
                       CaseEscalated(reason=f"probe {i}"), {}) for i in range(n)]


async def stored(pool, rows_: list[tuple]) -> list[int]:
    async with pool.acquire() as conn, conn.transaction():
        return await outbox.insert_for_relay(conn, rows_)


async def published_copies(settings, event_ids: set[str]) -> dict[str, int]:
    """How many times each event id is on the topic (read from the beginning, every partition)."""
    return {event_id: len(found) for event_id, found in (await published_records(settings, event_ids)).items()}


async def published_records(settings, event_ids: set[str]) -> dict[str, list]:
    """Each event id's records on the topic (read from the beginning, every partition)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(TOPIC, p) for p in consumer.partitions_for_topic(TOPIC) or ()]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found: dict[str, list] = {event_id: [] for event_id in event_ids}
        while any([await consumer.position(tp) < ends[tp] for tp in partitions]):
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    for event_id in event_ids:
                        if event_id.encode() in record.value:
                            found[event_id].append(record)
        return found
    finally:
        await consumer.stop()


async def unpublished(pool, ids: list[int]) -> int:
    return await pool.fetchval("SELECT count(*) FROM outbox_pending WHERE id = ANY($1::bigint[])", ids)


async def test_handed_rows_are_published_once_from_memory_and_the_poll_leaves_them_alone(settings):
    await migrate(settings.database_url, SCHEMA)
    pool = await create_pool(settings.database_url, SCHEMA)
    broker = make_broker(settings, "relay-probe")
    await broker.start()
    try:
        relay = Relay(pool, broker)
        batch = rows(3)
        ids = await stored(pool, batch)
        relay.hand(ids, batch)
        assert await relay.publish_batch() == 0  # handed over: not the poll's
        assert await relay.publish_handed() == 3
        assert await unpublished(pool, ids) == 0
        assert await relay.publish_batch() == 0  # marked: nothing left for the poll either
        event_ids = {str(row[0]) for row in batch}
        assert await published_copies(settings, event_ids) == dict.fromkeys(event_ids, 1)
    finally:
        await broker.stop()
        await pool.close()


async def test_a_relayed_record_carries_its_key_routing_headers_and_a_publish_span_under_the_stored_trace(settings):
    await migrate(settings.database_url, SCHEMA)
    pool = await create_pool(settings.database_url, SCHEMA)
    broker = make_broker(settings, "relay-probe-headers")
    await broker.start()
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    try:
        relay = Relay(pool, broker, service="relay_probe")
        batch = [row[:4] + (json.dumps({"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"}),) + row[5:] for row in rows(1)]
        relay.hand(await stored(pool, batch), batch)
        assert await relay.publish_handed() == 1
        [record] = (await published_records(settings, {str(batch[0][0])}))[str(batch[0][0])]
        headers = {name: value.decode() for name, value in record.headers}
        assert record.key == str(batch[0][1]).encode()
        assert headers["content-type"] == "application/json"
        assert headers[EVENT_TYPE_HEADER] == "aid.case.escalated.v1"
        version, traced, _, _ = headers["traceparent"].split("-")
        assert (version, traced) == ("00", trace_id)  # continues the stored trace (the e2e trace tests check the span tree)
        assert metrics.EVENTS_PUBLISHED.labels("relay_probe", TOPIC)._value.get() >= 1
    finally:
        await broker.stop()
        await pool.close()


async def test_a_failed_publish_leaves_the_rows_to_the_poll_which_publishes_them_once_the_broker_is_back(settings):
    await migrate(settings.database_url, SCHEMA)
    pool = await create_pool(settings.database_url, SCHEMA)
    broker = make_broker(settings, "relay-probe-down")  # not started: every publish fails
    try:
        relay = Relay(pool, broker)
        batch = rows(2)
        ids = await stored(pool, batch)
        relay.hand(ids, batch)
        try:
            await relay.publish_handed()
            raise AssertionError("a publish through a broker that is not started should fail")
        except AssertionError:
            raise
        except Exception:
            pass
        assert await unpublished(pool, ids) == 2  # nothing marked, nothing lost
        await broker.start()
        while await relay.publish_batch(idle=True):  # an idle poll (it asks first), which may first meet other tests' leftovers
            pass
        assert await unpublished(pool, ids) == 0
        event_ids = {str(row[0]) for row in batch}
        assert await published_copies(settings, event_ids) == dict.fromkeys(event_ids, 1)
    finally:
        await broker.stop()
        await pool.close()


async def test_a_row_nobody_handed_over_is_polled_while_hand_offs_keep_the_relay_busy(settings):
    """Hand-offs wake the relay more often than its idle period, and their rows are published at once; a row left
    in the table (a crash's leftover: nobody hands it over or wakes the relay for it) is still found by the poll."""
    await migrate(settings.database_url, SCHEMA)
    pool = await create_pool(settings.database_url, SCHEMA)
    broker = make_broker(settings, "relay-probe-busy")
    await broker.start()
    relay = Relay(pool, broker, idle_poll_seconds=0.3)
    running = asyncio.create_task(relay.run())
    try:
        leftover = rows(1)
        async with pool.acquire() as conn, conn.transaction():
            left_ids = await outbox.insert_for_relay(conn, leftover)  # committed, never handed over
        handed_ids = []
        started = time.monotonic()
        while await unpublished(pool, left_ids) and time.monotonic() - started < 15:
            batch = rows(1)
            ids = await stored(pool, batch)
            relay.hand(ids, batch)
            handed_ids += ids
            await asyncio.sleep(0.05)  # a hand-off every 50 ms: the relay never waits out its 0.3 s idle period
        assert await unpublished(pool, left_ids) == 0, "the poll starved while hand-offs kept coming"
        assert time.monotonic() - started < 5
        await asyncio.sleep(0.3)
        assert await unpublished(pool, handed_ids) == 0
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await broker.stop()
        await pool.close()

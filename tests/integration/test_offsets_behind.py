"""Offsets committed behind (services/kit/offsets.py) and the batch get without FastStream's idle sleep
(services/kit/broker.py), on the real broker and database with a real civil_affairs.

- Events arriving one at a time are acknowledged one batch at a time, but the group coordinator sees fewer
  commits than acknowledgements, and the committed offsets still reach the end of every partition.
- A graceful stop commits what is pending: the next consumer of the group starts after the last event applied.
- An empty get returns without sleeping, so an event arriving on a quiet consumer is not held back.
"""
from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, TopicPartition

from services.kit import offsets
from tests.integration.conftest import eventually, running
from services.kit.broker import kafka_consumers
from tests.integration.test_rebalance import VERIFIED_TOPIC, verified

GROUP = "civil_affairs"


async def decided(db, ids) -> int:
    return await db.fetchval("SELECT count(*) FROM civil_affairs.decisions WHERE layer = 1"
                             " AND application_id = ANY($1::uuid[])", list(ids))


async def committed_and_end(settings) -> tuple[dict, dict]:
    """The group's committed offsets and the partitions' end offsets, seen by a client outside the service."""
    outside = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, group_id=GROUP,
                               enable_auto_commit=False)
    await outside.start()
    try:
        partitions = [TopicPartition(VERIFIED_TOPIC, p) for p in sorted(outside.partitions_for_topic(VERIFIED_TOPIC) or ())]
        ends = await outside.end_offsets(partitions)
        committed = {tp: await outside.committed(tp) for tp in partitions}
        return committed, ends
    finally:
        await outside.stop()


async def test_acknowledgements_are_committed_behind_and_reach_the_end(settings, publish, db):
    ids = [uuid.uuid4() for _ in range(30)]
    async with running("civil_affairs", settings) as ctx:
        (kafka,) = kafka_consumers(ctx.broker)
        behind = kafka.commit_behind
        assert isinstance(behind, offsets.CommitBehind)
        acknowledged, sent = 0, 0
        acknowledge, send = kafka.commit, kafka._coordinator.commit_offsets

        async def counted_acknowledge(*args, **kwargs):
            nonlocal acknowledged
            acknowledged += 1
            return await acknowledge(*args, **kwargs)

        async def counted_send(*args, **kwargs):
            nonlocal sent
            sent += 1
            return await send(*args, **kwargs)

        kafka.commit, kafka._coordinator.commit_offsets = counted_acknowledge, counted_send
        for application_id in ids:  # one at a time: batches of one, as at an even low rate
            await publish(verified(application_id))
            await asyncio.sleep(0.02)

        async def all_decided():
            return await decided(db, ids) == len(ids)

        await eventually(all_decided, timeout=60)

        async def caught_up():
            committed, ends = await committed_and_end(settings)
            return all(committed[tp] == ends[tp] for tp in ends) and (committed, ends)

        await eventually(caught_up, timeout=30, interval=0.3)
        assert acknowledged >= 2, f"expected several batches, got {acknowledged} acknowledgements"
        assert 0 < sent < acknowledged, f"{sent} commits sent for {acknowledged} acknowledgements"


async def test_a_graceful_stop_commits_what_is_pending(settings, publish, db):
    application_id = uuid.uuid4()
    async with running("civil_affairs", settings) as ctx:
        (kafka,) = kafka_consumers(ctx.broker)
        behind = kafka.commit_behind
        behind.every = 3600.0  # nothing is committed before the stop but by the stop itself
        if behind._timer is not None:
            behind._timer.cancel()

        await publish(verified(application_id))

        async def applied():
            return await decided(db, [application_id]) == 1

        await eventually(applied, timeout=30, interval=0.02)
        await eventually(lambda: _pending(kafka), timeout=10, interval=0.02)  # acknowledged, not yet committed
    committed, ends = await committed_and_end(settings)
    assert committed == ends, f"committed {committed}, ends {ends}"


async def _pending(kafka) -> bool:
    return kafka.commit_behind._pending is not None


async def test_an_empty_get_returns_at_once_without_sleeping(settings, monkeypatch):
    import anyio

    async with running("civil_affairs", settings) as ctx:
        (subscriber,) = [s for s in ctx.broker.subscribers if getattr(s, "consumer", None) is not None]

        async def no_sleep(seconds):
            raise AssertionError(f"the consume loop slept {seconds} s after an empty get")

        monkeypatch.setattr(anyio, "sleep", no_sleep)
        got = await subscriber.get_msg(_Empty())
        assert got == ()


class _Empty:
    """A consumer with nothing to give (what `getmany` answers when its wait runs out)."""

    def __init__(self) -> None:
        self._fetcher = type("Fetcher", (), {"_fetch_max_wait_ms": 0})()  # where the get sets the fetch wait

    async def getmany(self, timeout_ms, max_records):
        return {}

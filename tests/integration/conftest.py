"""Integration tier: services run in-process against the real embedded broker and database."""
from __future__ import annotations

import asyncio
import contextlib
import time

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from contracts.envelope import Envelope
from jointaid.registry import spec_of
from services.kit import runner
from services.kit.consumer import topic_of


@contextlib.asynccontextmanager
async def running(name: str, settings, group_suffix: str = ""):
    """One service, started as `jointaid run` would, stopped at the end."""
    spec = spec_of(name, settings)
    ctx = await runner.start(spec, settings)
    relay = asyncio.create_task(ctx.relay.run())
    try:
        yield ctx
    finally:
        relay.cancel()
        await asyncio.gather(relay, return_exceptions=True)
        await runner.stop(ctx)


@pytest.fixture
async def db(settings):
    conn = await asyncpg.connect(settings.database_url)
    yield conn
    await conn.close()


@pytest.fixture
async def publish(settings):
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
    await producer.start()

    async def send(event: Envelope | bytes, topic: str | None = None) -> None:
        raw = event if isinstance(event, bytes) else event.model_dump_json().encode()
        key = None if isinstance(event, bytes) else str(event.application_id).encode()
        await producer.send_and_wait(topic or topic_of(event.event_type), raw, key=key)

    yield send
    await producer.stop()


async def eventually(probe, timeout: float = 20.0, interval: float = 0.1):
    """Poll an async probe until it returns something truthy; return it, or fail with the last value."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = await probe()
        if value:
            return value
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value {value!r})")


@contextlib.asynccontextmanager
async def direct(name: str, settings, pool_size: int = 4):
    """A service's context without its consumer: tests call its handlers directly, concurrently if they like."""
    from services.kit.db import create_pool, migrate
    from services.kit.outbox import Relay

    await migrate(settings.database_url, name, spec_of(name, settings).migrations)
    pool = await create_pool(settings.database_url, name, min_size=1, max_size=pool_size)
    try:
        yield runner.ServiceContext(name, settings, broker=None, pool=pool, relay=Relay(pool, broker=None))
    finally:
        # no relay ran: keep these events from leaking into later tests that run this service for real
        await pool.execute("DELETE FROM outbox_pending")
        await pool.close()

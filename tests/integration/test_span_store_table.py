"""The span store writes into an unlogged table through asynchronous commits: spans cost no write-ahead log."""
from __future__ import annotations

import uuid

import asyncpg
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from services.kit.span_store import SpanStore, migrate_telemetry


async def test_spans_are_stored_in_an_unlogged_table_without_waiting_for_the_disk(settings):
    await migrate_telemetry(settings.database_url)
    store = SpanStore()
    store._database_url = settings.database_url
    provider = TracerProvider(resource=Resource.create({"service.name": "probe"}))
    provider.add_span_processor(store)
    application_id = str(uuid.uuid4())
    with provider.get_tracer("probe").start_as_current_span("probe span", attributes={"application_id": application_id}):
        pass
    assert await store.flush() == 1
    try:
        assert await store._conn.fetchval("SHOW synchronous_commit") == "off"
    finally:
        await store._close()
    conn = await asyncpg.connect(settings.database_url)
    try:
        assert await conn.fetchval("SELECT relpersistence FROM pg_class WHERE oid = 'telemetry.spans'::regclass") == b"u"
        assert await conn.fetchval("SELECT count(*) FROM telemetry.spans WHERE application_id = $1",
                                   uuid.UUID(application_id)) == 1
    finally:
        await conn.close()

"""The span store's in-process half: rows without personal data, never blocking, never raising."""
from __future__ import annotations

import asyncio
import json
import uuid

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from services.kit.span_store import SpanStore, to_row


def provider_with(store: SpanStore) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": "verification"}))
    provider.add_span_processor(store)
    return provider


def test_row_carries_service_ids_and_application_from_attribute_or_kafka_key():
    store = SpanStore()
    tracer = provider_with(store).get_tracer("t")
    application_id = uuid.uuid4()
    with tracer.start_as_current_span("outer") as outer:
        outer.set_attribute("application_id", str(application_id))
        with tracer.start_as_current_span("aid.decision.made publish") as inner:
            inner.set_attribute("messaging.kafka.message.key", str(application_id).encode())
            inner.set_attribute("long", "x" * 5000)
    rows = [to_row(span) for span in store._buffer]
    inner_row, outer_row = rows
    assert inner_row[3] == outer_row[3] == "verification"
    assert inner_row[0] == outer_row[0] and inner_row[2] == outer_row[1] and outer_row[2] is None
    assert inner_row[7] == outer_row[7] == application_id
    assert inner_row[5] <= inner_row[6]
    assert len(json.loads(inner_row[8])["long"]) == 200


def test_full_buffer_drops_instead_of_growing():
    store = SpanStore(max_buffer=3)
    tracer = provider_with(store).get_tracer("t")
    for _ in range(5):
        with tracer.start_as_current_span("s"):
            pass
    assert len(store._buffer) == 3 and store.dropped == 2


def test_unreachable_database_drops_the_batch_and_keeps_running():
    async def scenario():
        store = SpanStore(interval=0.05)
        tracer = provider_with(store).get_tracer("t")
        task = asyncio.create_task(store.run("postgresql://nobody@127.0.0.1:1/none"))
        for _ in range(3):
            with tracer.start_as_current_span("s"):
                pass
        await asyncio.sleep(0.5)
        assert not task.done()  # still flushing, nothing raised into the service
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return store

    store = asyncio.run(scenario())
    assert store.dropped == 3 and store.stored == 0 and not store._buffer


def test_nul_characters_are_stripped_so_postgres_accepts_the_row():
    store = SpanStore()
    tracer = provider_with(store).get_tracer("t")
    with tracer.start_as_current_span("GET /v1/applications/\x00") as span:
        span.set_attribute("url.path", "/v1/applications/\x00")
        span.set_attribute("many", ["a\x00", "b"])
    (row,) = [to_row(span) for span in store._buffer]
    assert "\x00" not in row[4] and "\\u0000" not in row[8] and "\x00" not in row[8]


def test_attributes_the_columns_hold_are_not_repeated():
    store = SpanStore()
    tracer = provider_with(store).get_tracer("jointaid.consumer")
    with tracer.start_as_current_span("aid.decision.made process") as span:
        span.set_attribute("application_id", "0b9c5f6e-6f4e-4c43-9a53-9c3f3e7c2a10")
        span.set_attribute("messaging.system", "kafka")
        span.set_attribute("messaging.destination.name", "aid.decision.made")
        span.set_attribute("messaging.kafka.offset", 7)
    (row,) = [to_row(span) for span in store._buffer]
    assert str(row[7]) == "0b9c5f6e-6f4e-4c43-9a53-9c3f3e7c2a10"
    assert json.loads(row[8]) == {"messaging.kafka.offset": 7}

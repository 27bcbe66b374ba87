"""The relay publishes each event with its routing headers; a consumer skips other layers' decisions unread."""
from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from contracts.envelope import new_envelope
from contracts.events import (Decision, DecisionMade, Department, HouseholdFacts, LayerTrail, MemberFacts, Outcome,
                              Program, Recurring, Residence)
from contracts.routes import EVENT_TYPE_HEADER, LAYER_HEADER
from tests.integration.conftest import eventually, running


def living_decision(application_id, layer: int = 1):
    facts = HouseholdFacts(submitted_on="2026-11-20", region_code="330106", residence=Residence.hukou,
                           members=(MemberFacts(age=40, monthly_income_fen=0),), monthly_income_fen=0,
                           financial_assets_fen=0, owns_vehicle=False, has_supporter=True, covered_oop_fen=2_000_000,
                           oop_fen=2_000_000, emergency_loss_fen=0)
    decision = Decision(department=Department.civil_affairs, program=Program.mla, layer=layer, outcome=Outcome.approved,
                        amount_fen=85_500, recurring=Recurring.monthly, reason="mla")
    return new_envelope("aid.decision.made.v1", application_id, "civil_affairs",
                        DecisionMade(decision=decision, facts=facts, trail=LayerTrail(status="mla", living_fen=85_500)))


async def headers_of_decisions(bootstrap: str, application_id) -> dict[int, dict[str, str]]:
    consumer = AIOKafkaConsumer("aid.decision.made", bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                group_id=f"probe-{uuid.uuid4().hex[:8]}", enable_auto_commit=False)
    await consumer.start()
    found: dict[int, dict[str, str]] = {}
    try:
        batches = await consumer.getmany(timeout_ms=3000)
        for records in batches.values():
            for record in records:
                if record.key == str(application_id).encode():
                    headers = {k: v.decode() for k, v in record.headers}
                    if LAYER_HEADER in headers:
                        found[int(headers[LAYER_HEADER])] = headers
    finally:
        await consumer.stop()
    return found


async def test_decisions_are_published_with_their_type_and_layer(settings, publish, db):
    application_id = uuid.uuid4()
    async with running("medical_insurance", settings):
        await publish(living_decision(application_id))  # no routing headers: decoded, and acted on
        await eventually(lambda: db.fetchval(
            "SELECT count(*) = 2 FROM medical_insurance.outbox WHERE application_id = $1"
            " AND id NOT IN (SELECT id FROM medical_insurance.outbox_pending)",
            application_id))
        published = await eventually(lambda: headers_of_decisions(settings.kafka_bootstrap_servers, application_id))
    assert sorted(published) == [2, 3]  # critical-illness insurance and medical assistance
    assert all(h[EVENT_TYPE_HEADER] == "aid.decision.made.v1" and "traceparent" in h for h in published.values())


async def dead_lettered_by(bootstrap: str, consumer_name: str, key: bytes) -> int:
    consumer = AIOKafkaConsumer("aid.dlq", bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                group_id=f"probe-{uuid.uuid4().hex[:8]}", enable_auto_commit=False)
    await consumer.start()
    try:
        batches = await consumer.getmany(timeout_ms=2000)
        return sum(1 for records in batches.values() for r in records
                   if r.key == key and dict(r.headers).get("x-consumer") == consumer_name.encode())
    finally:
        await consumer.stop()


async def test_a_decision_the_headers_rule_out_is_never_decoded(settings):
    """A broken body under another layer's headers is skipped unread; the same body without them is
    decoded, found invalid and dead-lettered: the skip happens before any decode."""
    skipped, decoded = uuid.uuid4(), uuid.uuid4()
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        async with running("medical_insurance", settings):
            await producer.send_and_wait("aid.decision.made", b"{not json", key=str(skipped).encode(),
                                         headers=[(EVENT_TYPE_HEADER, b"aid.decision.made.v1"), (LAYER_HEADER, b"5")])
            await producer.send_and_wait("aid.decision.made", b"{not json", key=str(decoded).encode())
            await eventually(lambda: dead_lettered_by(settings.kafka_bootstrap_servers, "medical_insurance",
                                                      str(decoded).encode()))
            await asyncio.sleep(0.5)
            assert await dead_lettered_by(settings.kafka_bootstrap_servers, "medical_insurance", str(skipped).encode()) == 0
    finally:
        await producer.stop()

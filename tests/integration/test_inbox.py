"""The inbox: the same event delivered twice changes nothing (real broker, real database)."""
from __future__ import annotations

import asyncio
import uuid

from contracts.envelope import new_envelope
from contracts.events import (
    Decision, DecisionMade, Department, HouseholdFacts, LayerTrail, MemberFacts, Outcome, PaymentIssued,
    PaymentLine, Program, Recurring, Residence,
)
from tests.integration.conftest import eventually, running


def payment_event(application_id):
    decision = Decision(department=Department.civil_affairs, program=Program.temporary_assistance, layer=4,
                        outcome=Outcome.approved, amount_fen=100_000, recurring=Recurring.one_off, reason="tier 1,000.00")
    data = PaymentIssued(payment_id=uuid.uuid4(), total_fen=100_000,
                         lines=(PaymentLine(department=Department.civil_affairs, program=Program.temporary_assistance,
                                            amount_fen=100_000),),
                         decisions=(decision,), account_kind="bank_card", account_last4="1234")
    return new_envelope("aid.payment.issued.v1", application_id, "disbursement", data)


async def test_same_payment_event_twice_sends_one_message(settings, publish, db):
    application_id = uuid.uuid4()
    event = payment_event(application_id)
    async with running("notification", settings):
        await publish(event)
        await publish(event)  # the broker redelivers: same event_id
        await eventually(lambda: db.fetchval(
            "SELECT NOT EXISTS (SELECT 1 FROM notification.outbox_pending WHERE id = o.id) FROM notification.outbox o"
            " WHERE application_id = $1", application_id))
        await asyncio.sleep(1.0)  # time for the copy to be consumed too
        claimed = await db.fetchval("SELECT count(*) FROM notification.inbox WHERE event_id = $1", event.event_id)
    assert claimed == 1
    assert await db.fetchval("SELECT count(*) FROM notification.messages WHERE application_id = $1", application_id) == 1
    assert await db.fetchval("SELECT count(*) FROM notification.outbox WHERE application_id = $1", application_id) == 1


def decision_event(application_id, layer: int):
    facts = HouseholdFacts(submitted_on="2026-11-20", region_code="610630", residence=Residence.hukou,
                           members=(MemberFacts(age=40, monthly_income_fen=0),), monthly_income_fen=0,
                           financial_assets_fen=0, owns_vehicle=False, has_supporter=True, covered_oop_fen=0,
                           oop_fen=0, emergency_loss_fen=0)
    decision = Decision(department=Department.red_cross, program=Program.major_illness_relief, layer=layer,
                        outcome=Outcome.not_applicable, amount_fen=0, recurring=Recurring.one_off, reason="no major illness")
    return new_envelope("aid.decision.made.v1", application_id, "red_cross",
                        DecisionMade(decision=decision, facts=facts, trail=LayerTrail()))


async def test_redelivered_decision_is_stored_once(settings, publish, db):
    application_id = uuid.uuid4()
    event = decision_event(application_id, 5)
    async with running("disbursement", settings):
        await publish(event)
        await publish(event)
        await eventually(lambda: db.fetchval("SELECT count(*) FROM disbursement.inbox WHERE event_id = $1", event.event_id))
        await asyncio.sleep(1.0)
    assert await db.fetchval("SELECT count(*) FROM disbursement.decisions WHERE application_id = $1", application_id) == 1
    # the inbox stopped the copy before the handler: nothing counted as a second answer either
    assert await db.fetchval("SELECT count(*) FROM disbursement.decision_copies WHERE application_id = $1", application_id) == 0


async def test_a_batch_claim_returns_each_new_event_once(settings):
    from services.kit import inbox
    from tests.integration.conftest import direct

    seen, new, repeated = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with direct("notification", settings) as ctx, ctx.pool.acquire() as conn:
        assert await inbox.claim(conn, "batch-claim-test", seen)
        async with conn.transaction():
            fresh = await inbox.claim_many(conn, "batch-claim-test", [seen, new, repeated, repeated])
        assert fresh == {new, repeated}  # the one applied before is not claimed again
        assert await inbox.claim_many(conn, "batch-claim-test", [seen, new, repeated]) == set()

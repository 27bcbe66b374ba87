"""One payment, whatever the order, duplicates, lateness or rail failures (real PostgreSQL).

Handlers are called directly (as the consumer would, through the inbox) so that every ordering
can be tried quickly; the broker path itself is covered by the e2e tests.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import random
import uuid


from contracts.envelope import new_envelope
from contracts.events import (
    ApplicationVerified, Decision, DecisionMade, Department, HouseholdFacts, LayerTrail, MemberFacts, Outcome,
    PayoutAccount, Program, Recurring, Residence,
)
from services.disbursement.handlers import handlers
from services.disbursement.rail import InProcessRail, RailError
from services.disbursement.settler import Settler
from services.disbursement import deadlines
from services.kit.consumer import handle
from tests.integration.conftest import direct

FACTS = HouseholdFacts(submitted_on="2026-11-20", region_code="610630", residence=Residence.hukou,
                       members=(MemberFacts(age=40, monthly_income_fen=0),), monthly_income_fen=0, financial_assets_fen=0,
                       owns_vehicle=False, has_supporter=True, covered_oop_fen=0, oop_fen=0, emergency_loss_fen=0)
ANSWERS = [  # example A's five answers
    (Department.civil_affairs, Program.mla, Outcome.approved, 92_000, Recurring.monthly),
    (Department.medical_insurance, Program.critical_illness_insurance, Outcome.approved, 292_500, Recurring.one_off),
    (Department.medical_insurance, Program.medical_assistance, Outcome.approved, 635_250, Recurring.one_off),
    (Department.civil_affairs, Program.temporary_assistance, Outcome.approved, 100_000, Recurring.one_off),
    (Department.red_cross, Program.major_illness_relief, Outcome.denied, 0, Recurring.one_off),
]
TOTAL = 1_119_750


def verified(application_id, account="6217000012345678"):
    data = ApplicationVerified(facts=FACTS, payout_account=PayoutAccount(kind="social_security_card", number=account))
    return new_envelope("aid.application.verified.v1", application_id, "verification", data), data


def reason_zh(layer):
    """Layer 5 answers like an event from before reason_zh existed: it has none."""
    return f"第 {layer} 层" if layer < 5 else None


def decision(application_id, layer):
    department, program, outcome, amount, recurring = ANSWERS[layer - 1]
    made = DecisionMade(decision=Decision(department=department, program=program, layer=layer, outcome=outcome,
                                          amount_fen=amount, recurring=recurring, reason=f"layer {layer}",
                                          reason_zh=reason_zh(layer)),
                        facts=FACTS, trail=LayerTrail())
    return new_envelope("aid.decision.made.v1", application_id, department.value, made), made


async def deliver(ctx, table, events):
    for event, data in events:
        await handle(ctx, table[event.event_type], event, data)


async def issued(ctx, application_id) -> list[dict]:
    rows = await ctx.pool.fetch("SELECT payload FROM outbox WHERE application_id = $1 AND topic = 'aid.payment.issued'",
                                application_id)
    return [json.loads(r["payload"])["data"] for r in rows]


async def test_every_order_with_duplicates_and_a_late_copy_pays_once(settings):
    rng = random.Random(7)
    settler = Settler(InProcessRail(), attempts=3, backoff_seconds=0)
    table = handlers(3600)
    async with direct("disbursement", settings) as ctx:
        applications = []
        for order in itertools.permutations(range(1, 6)):
            application_id = uuid.uuid4()
            events = [decision(application_id, layer) for layer in order]
            events.insert(rng.randrange(6), verified(application_id))
            events += [rng.choice(events) for _ in range(2)]  # the broker redelivers some
            await deliver(ctx, table, events)
            applications.append(application_id)
        while await settler.settle_due(ctx, limit=50):
            pass
        for application_id in applications[:10]:  # a late copy (new event id) after completion
            await deliver(ctx, table, [decision(application_id, 3)])
        for application_id in applications:
            payments = await ctx.pool.fetch("SELECT total_fen, status FROM payments WHERE application_id = $1", application_id)
            assert [tuple(p) for p in payments] == [(TOTAL, "settled")]
            (announced,) = await issued(ctx, application_id)
            assert announced["total_fen"] == TOTAL == sum(line["amount_fen"] for line in announced["lines"])
            assert announced["account_last4"] == "5678"
            assert [(d["reason"], d["reason_zh"]) for d in announced["decisions"]] == [
                (f"layer {layer}", reason_zh(layer)) for layer in range(1, 6)]
        copies = await ctx.pool.fetchval("SELECT count(*) FROM decision_copies WHERE application_id = ANY($1::uuid[])", applications)
        assert copies == 10
        unbalanced = await ctx.pool.fetchval(
            "SELECT count(*) FROM (SELECT payment_id FROM ledger_entries WHERE payment_id IN"
            " (SELECT payment_id FROM payments WHERE application_id = ANY($1::uuid[]))"
            " GROUP BY payment_id, posting HAVING sum(debit_fen) <> sum(credit_fen)) AS u", applications)
        assert unbalanced == 0
        assert len(applications) == 120


async def test_zero_total_announces_no_payment(settings):
    table = handlers(3600)
    application_id = uuid.uuid4()
    async with direct("disbursement", settings) as ctx:
        zero = [verified(application_id)]
        for layer in range(1, 6):
            event, made = decision(application_id, layer)
            made = made.model_copy(update={"decision": made.decision.model_copy(update={"outcome": Outcome.denied, "amount_fen": 0})})
            zero.append((event.model_copy(update={"data": made.model_dump(mode="json")}), made))
        await deliver(ctx, table, zero)
        assert await ctx.pool.fetchval("SELECT count(*) FROM payments WHERE application_id = $1", application_id) == 0
        (announced,) = await issued(ctx, application_id)
        assert announced["payment_id"] is None and announced["total_fen"] == 0


class FlakyRail(InProcessRail):
    """Fails the first `failures` attempts, then settles."""

    def __init__(self, failures: int):
        super().__init__()
        self.failures = failures
        self.calls = 0

    async def settle_many(self, conn, payments):
        self.calls += 1
        if self.calls <= self.failures:
            return [RailError("bank timeout") for _ in payments]
        return await super().settle_many(conn, payments)


class OneByOneRail:
    """A rail with `settle` only (no round at once), refusing one account after it wrote: the savepoint undoes it."""

    def __init__(self, refused: str):
        self.inner, self.refused = InProcessRail(), refused

    async def settle(self, conn, payment_id, account_number, amount_fen):
        reference = await self.inner.settle(conn, payment_id, account_number, amount_fen)
        if account_number == self.refused:
            raise RailError("refused after writing")
        return reference


async def complete(ctx, table, application_id, account="6217000012345678"):
    await deliver(ctx, table, [verified(application_id, account)] + [decision(application_id, layer) for layer in range(1, 6)])


async def topics_of(ctx, application_id) -> list[str]:
    rows = await ctx.pool.fetch("SELECT topic FROM outbox WHERE application_id = $1 ORDER BY id", application_id)
    return [r["topic"] for r in rows]


async def test_rail_failures_are_retried_then_paid_once(settings):
    rail = FlakyRail(failures=2)
    settler = Settler(rail, attempts=5, backoff_seconds=0)
    application_id = uuid.uuid4()
    async with direct("disbursement", settings) as ctx:
        await complete(ctx, handlers(3600), application_id)
        for _ in range(6):
            await settler.settle_due(ctx)
        payment = await ctx.pool.fetchrow("SELECT payment_id, status, attempts FROM payments WHERE application_id = $1", application_id)
        assert (payment["status"], payment["attempts"]) == ("settled", 3)
        assert await ctx.pool.fetchval("SELECT count(*) FROM rail_settlements WHERE payment_id = $1", payment["payment_id"]) == 1
        assert await topics_of(ctx, application_id) == ["aid.payment.failed", "aid.payment.failed", "aid.payment.issued"]


async def test_rail_refusing_the_account_escalates_after_the_last_retry(settings):
    account = "6217000099990000"
    settler = Settler(InProcessRail(frozenset({account})), attempts=3, backoff_seconds=0)
    application_id = uuid.uuid4()
    async with direct("disbursement", settings) as ctx:
        await complete(ctx, handlers(3600), application_id, account)
        for _ in range(5):
            await settler.settle_due(ctx)
        payment = await ctx.pool.fetchrow("SELECT payment_id, status, attempts FROM payments WHERE application_id = $1", application_id)
        assert (payment["status"], payment["attempts"]) == ("failed", 3)
        assert await ctx.pool.fetchval("SELECT count(*) FROM rail_settlements WHERE payment_id = $1", payment["payment_id"]) == 0
        assert await topics_of(ctx, application_id) == ["aid.payment.failed"] * 3 + ["aid.case.escalated"]
        finals = await ctx.pool.fetch("SELECT payload FROM outbox WHERE application_id = $1 AND topic = 'aid.payment.failed' ORDER BY id", application_id)
        assert [json.loads(r["payload"])["data"]["final"] for r in finals] == [False, False, True]


async def test_one_round_pays_some_and_refuses_others(settings):
    """A round's payments go to the rail at once: the refused account's payment fails its attempt, the others settle."""
    refused = "6217000099990000"
    settler = Settler(InProcessRail(frozenset({refused})), attempts=3, backoff_seconds=60)
    good, bad = uuid.uuid4(), uuid.uuid4()
    async with direct("disbursement", settings) as ctx:
        await complete(ctx, handlers(3600), good)
        await complete(ctx, handlers(3600), bad, refused)
        assert await settler.settle_due(ctx) == 2
        rows = {r["application_id"]: r for r in await ctx.pool.fetch(
            "SELECT p.application_id, p.status, p.attempts, count(s.payment_id) AS settlements FROM payments p"
            " LEFT JOIN rail_settlements s USING (payment_id) WHERE p.application_id = ANY($1::uuid[])"
            " GROUP BY 1, 2, 3", [good, bad])}
        assert (rows[good]["status"], rows[good]["attempts"], rows[good]["settlements"]) == ("settled", 1, 1)
        assert (rows[bad]["status"], rows[bad]["attempts"], rows[bad]["settlements"]) == ("pending", 1, 0)
        assert await topics_of(ctx, good) == ["aid.payment.issued"]
        assert await topics_of(ctx, bad) == ["aid.payment.failed"]


async def test_a_rail_without_rounds_is_paid_one_by_one_under_savepoints(settings):
    refused = "6217000099990000"
    settler = Settler(OneByOneRail(refused), attempts=3, backoff_seconds=60)
    good, bad = uuid.uuid4(), uuid.uuid4()
    async with direct("disbursement", settings) as ctx:
        await complete(ctx, handlers(3600), good)
        await complete(ctx, handlers(3600), bad, refused)
        assert await settler.settle_due(ctx) == 2
        settled = await ctx.pool.fetch("SELECT p.application_id FROM rail_settlements JOIN payments p USING (payment_id)"
                                       " WHERE p.application_id = ANY($1::uuid[])", [good, bad])
        assert [r["application_id"] for r in settled] == [good]  # the refused one's write was rolled back
        assert await topics_of(ctx, bad) == ["aid.payment.failed"]


async def test_a_crash_after_the_rail_paid_does_not_pay_twice(settings):
    """The rail settled, then our transaction was lost: the retry gets the same settlement back."""
    settler = Settler(InProcessRail(), attempts=3, backoff_seconds=0)
    application_id = uuid.uuid4()
    async with direct("disbursement", settings) as ctx:
        await complete(ctx, handlers(3600), application_id)
        payment_id = await ctx.pool.fetchval("SELECT payment_id FROM payments WHERE application_id = $1", application_id)
        async with ctx.pool.acquire() as conn:
            first = await settler.rail.settle(conn, payment_id, "6217000012345678", TOTAL)  # committed by the bank
        await settler.settle_due(ctx)
        assert await ctx.pool.fetchval("SELECT rail_reference FROM payments WHERE payment_id = $1", payment_id) == first
        assert await ctx.pool.fetchval("SELECT count(*) FROM rail_settlements WHERE payment_id = $1", payment_id) == 1


async def test_late_answers_escalate_then_complete_once(settings):
    settler = Settler(InProcessRail(), attempts=3, backoff_seconds=0)
    table = handlers(0.2)
    application_id = uuid.uuid4()
    async with direct("disbursement", settings) as ctx:
        await deliver(ctx, table, [verified(application_id)] + [decision(application_id, layer) for layer in (1, 2, 3, 4)])
        await asyncio.sleep(0.4)
        await deadlines.sweep(ctx)
        await deadlines.sweep(ctx)  # a second sweep does not escalate again
        escalations = await ctx.pool.fetch("SELECT payload FROM outbox WHERE application_id = $1 AND topic = 'aid.case.escalated'", application_id)
        assert [json.loads(r["payload"])["data"]["missing_layers"] for r in escalations] == [[5]]
        await deliver(ctx, table, [decision(application_id, 5)])  # red cross answers at last
        await settler.settle_due(ctx)
        await deadlines.sweep(ctx)
        assert await ctx.pool.fetchval("SELECT count(*) FROM payments WHERE application_id = $1", application_id) == 1
        assert len(await issued(ctx, application_id)) == 1

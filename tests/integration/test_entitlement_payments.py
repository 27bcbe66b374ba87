"""A payment run's entitlement is paid once: the database's key refuses a second payment for a household's period and
kind, and the settler announces it keyed by the household (real PostgreSQL; handlers called as the consumer would)."""
from __future__ import annotations

import json
import uuid

import asyncpg
import pytest

from contracts.envelope import new_envelope
from contracts.events import EntitlementMade, PayoutAccount
from services.disbursement.entitlements import HANDLERS
from services.disbursement.rail import InProcessRail
from services.disbursement.settler import Settler
from services.kit.consumer import handle
from tests.integration.conftest import direct


def entitlement(recipient_id, period="2027-01", kind="monthly", entitlement_id=None, account="6217000012345678"):
    data = EntitlementMade(entitlement_id=entitlement_id or uuid.uuid4(), run_id=uuid.uuid4(), recipient_id=recipient_id,
                           kind=kind, period=period, program="mla", amount_fen=92_000, members=4,
                           payout_account=PayoutAccount(kind="social_security_card", number=account))
    return new_envelope("aid.entitlement.made.v1", recipient_id, "caseload", data), data


async def payments_of(ctx, recipient_id) -> list:
    return await ctx.pool.fetch("SELECT * FROM payments WHERE recipient_id = $1 ORDER BY period, kind", recipient_id)


async def test_one_payment_per_household_period_and_kind_whatever_arrives(settings):
    household = uuid.uuid4()
    async with direct("disbursement", settings) as ctx:
        first = entitlement(household)
        for event, data in (first, first, entitlement(household), entitlement(household, entitlement_id=first[1].entitlement_id)):
            await handle(ctx, HANDLERS[event.event_type], event, data)  # a redelivery, another id, a new envelope
        await handle(ctx, HANDLERS["aid.entitlement.made.v1"], *entitlement(household, kind="price_subsidy"))
        await handle(ctx, HANDLERS["aid.entitlement.made.v1"], *entitlement(household, period="2027-02"))
        made = await payments_of(ctx, household)
        assert [(p["period"], p["kind"]) for p in made] == [("2027-01", "monthly"), ("2027-01", "price_subsidy"),
                                                           ("2027-02", "monthly")]
        assert made[0]["payment_id"] == first[1].entitlement_id and made[0]["application_id"] is None
        postings = await ctx.pool.fetch("SELECT posting, account, debit_fen, credit_fen FROM ledger_entries WHERE payment_id = $1",
                                        made[0]["payment_id"])
        assert sorted(map(tuple, postings)) == [("approval", "fund:civil_affairs", 92_000, 0),
                                                ("approval", "payable:citizen", 0, 92_000)]


async def test_the_database_itself_refuses_a_second_payment(settings):
    household = uuid.uuid4()
    async with direct("disbursement", settings) as ctx:
        await handle(ctx, HANDLERS["aid.entitlement.made.v1"], *entitlement(household))
        with pytest.raises(asyncpg.UniqueViolationError, match="payments_one_per_household_period_kind"):
            await ctx.pool.execute("INSERT INTO payments(payment_id, kind, recipient_id, period, run_id, total_fen)"
                                   " VALUES ($1, 'monthly', $2, '2027-01', $3, 1)", uuid.uuid4(), household, uuid.uuid4())


async def test_settled_it_is_announced_keyed_by_the_household_with_its_run(settings):
    household, refused = uuid.uuid4(), uuid.uuid4()
    settler = Settler(InProcessRail(frozenset({"6217000099990000"})), attempts=1, backoff_seconds=0)
    async with direct("disbursement", settings) as ctx:
        event, made = entitlement(household)
        await handle(ctx, HANDLERS[event.event_type], event, made)
        await handle(ctx, HANDLERS[event.event_type], *entitlement(refused, account="6217000099990000"))
        while await settler.settle_due(ctx):
            pass
        announced = await ctx.pool.fetch("SELECT application_id, topic, payload FROM outbox WHERE application_id = ANY($1::uuid[])"
                                         " ORDER BY id", [household, refused])
        by_topic = {(r["application_id"], r["topic"]): json.loads(r["payload"])["data"] for r in announced}
        issued = by_topic[(household, "aid.payment.issued")]
        assert (issued["kind"], issued["period"], issued["run_id"], issued["recipient_id"]) == \
            ("monthly", "2027-01", str(made.run_id), str(household))
        assert (issued["payment_id"], issued["total_fen"], issued["account_last4"]) == (str(made.entitlement_id), 92_000, "5678")
        assert issued["lines"] == [{"department": "civil_affairs", "program": "mla", "amount_fen": 92_000}]
        assert by_topic[(refused, "aid.payment.failed")]["final"] is True  # the household's key, as for the announcement
        assert (refused, "aid.case.escalated") in by_topic
        assert [p["status"] for p in await payments_of(ctx, household)] == ["settled"]

"""50 simultaneous major-illness approvals against a fund that covers only some of them."""
from __future__ import annotations

import asyncio
import uuid


from contracts.envelope import new_envelope
from contracts.events import (
    Decision, DecisionMade, Department, HouseholdFacts, HouseholdStatus, LayerTrail, MemberFacts, Outcome, Program,
    Recurring, Residence,
)
from services.departments.red_cross.handlers import HANDLERS
from services.kit.consumer import handle
from tests.integration.conftest import direct

YEAR = 2031          # a year of its own, so the test's small fund is the only one it touches
GRANT_FEN = 1_000_000  # R = 90,000 yuan reaches the top tier: 10,000 yuan each
BUDGET_FEN = 12_500_000  # covers 12 grants, not 13


def layer4_event() -> tuple:
    facts = HouseholdFacts(submitted_on=f"{YEAR}-03-01", region_code="610630", residence=Residence.other,
                           members=(MemberFacts(age=40, monthly_income_fen=0, diagnoses=("leukemia",)),),
                           monthly_income_fen=0, financial_assets_fen=0, owns_vehicle=False, has_supporter=True,
                           covered_oop_fen=0, oop_fen=10_000_000, emergency_loss_fen=0, diagnoses=("leukemia",))
    trail = LayerTrail(status=HouseholdStatus.none, living_fen=0, critical_illness_fen=0, medical_assistance_fen=0,
                       temporary_fen=1_000_000, temporary_medical_part_fen=1_000_000)
    decision = Decision(department=Department.civil_affairs, program=Program.temporary_assistance, layer=4,
                        outcome=Outcome.approved, amount_fen=1_000_000, recurring=Recurring.one_off, reason="tier")
    data = DecisionMade(decision=decision, facts=facts, trail=trail)
    return new_envelope("aid.decision.made.v1", uuid.uuid4(), "civil_affairs", data), data


async def test_fund_is_never_overspent_under_concurrent_approvals(settings):
    async with direct("red_cross", settings, pool_size=50) as ctx:
        pool = ctx.pool
        await pool.execute("INSERT INTO fund(year, budget_fen, balance_fen) VALUES ($1, $2, $2)", YEAR, BUDGET_FEN)
        events = [layer4_event() for _ in range(50)]
        handler = HANDLERS["aid.decision.made.v1"]
        await asyncio.gather(*(handle(ctx, handler, event, data) for event, data in events))

        balance = await pool.fetchval("SELECT balance_fen FROM fund WHERE year = $1", YEAR)
        ids = [event.application_id for event, _ in events]
        rows = await pool.fetch("SELECT outcome, amount_fen FROM decisions WHERE application_id = ANY($1::uuid[])", ids)
        granted = await pool.fetchval("SELECT sum(amount_fen) FROM grants WHERE year = $1", YEAR)
    approved = [r["amount_fen"] for r in rows if r["outcome"] == "approved"]
    assert len(rows) == 50
    assert balance >= 0
    assert sum(approved) == BUDGET_FEN - balance == granted
    assert len(approved) == BUDGET_FEN // GRANT_FEN == 12
    assert all(r["amount_fen"] == 0 for r in rows if r["outcome"] == "denied")
    assert len([r for r in rows if r["outcome"] == "denied"]) == 38

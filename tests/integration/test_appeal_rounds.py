"""Disbursement's appeal rounds on real PostgreSQL: answers before or after the filing, redeliveries, one
supplement of exactly the difference, nothing for a lower result, and the 30-day deadline escalating once.

Handlers are called directly (as the consumer would, through the inbox), as in test_disbursement.py.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

from contracts.envelope import new_envelope
from contracts.events import AppealFactChanges, AppealFiled, Decision, DecisionMade, LayerTrail
from services.disbursement import appeals
from services.disbursement.handlers import handlers
from services.disbursement.main import spec
from services.disbursement.rail import InProcessRail
from services.disbursement.settler import Settler
from services.kit.consumer import handle
from tests.integration.conftest import direct
from tests.integration.test_disbursement import ANSWERS, FACTS, TOTAL, decision, deliver, verified


def filed(application_id, layer: int, days_ago: float = 0):
    data = AppealFiled(appeal_id=uuid.uuid4(), layer=layer, grounds="new facts", facts=AppealFactChanges(has_supporter=False),
                       filed_at=datetime.now(timezone.utc) - timedelta(days=days_ago))
    return new_envelope("aid.appeal.filed.v1", application_id, "intake", data), data


def again(application_id, appeal_id, layer: int, amount_fen: int):
    """A department's answer of the appeal round: the first answer of that layer with another amount."""
    department, program, _, _, recurring = ANSWERS[layer - 1]
    made = DecisionMade(decision=Decision(department=department, program=program, layer=layer, outcome="approved",
                                          amount_fen=amount_fen, recurring=recurring, reason=f"layer {layer} again"),
                        facts=FACTS, trail=LayerTrail(), appeal_id=appeal_id)
    return new_envelope("aid.decision.made.v1", application_id, department.value, made), made


async def paid_application(ctx, table, settler) -> uuid.UUID:
    application_id = uuid.uuid4()
    await deliver(ctx, table, [verified(application_id), *(decision(application_id, layer) for layer in range(1, 6))])
    while await settler.settle_due(ctx, limit=50):
        pass
    return application_id


async def decided(ctx, application_id) -> list[dict]:
    rows = await ctx.pool.fetch("SELECT payload FROM outbox WHERE application_id = $1 AND topic = 'aid.appeal.decided'",
                                application_id)
    return [json.loads(r["payload"])["data"] for r in rows]


async def test_answers_in_any_order_and_redelivered_pay_one_supplement_of_the_difference(settings):
    settler = Settler(InProcessRail(), attempts=3, backoff_seconds=0)
    table = {**handlers(3600), **appeals.HANDLERS}
    async with direct("disbursement", settings) as ctx:
        application_id = await paid_application(ctx, table, settler)
        appeal = filed(application_id, 4)
        appeal_id = appeal[1].appeal_id
        # layer 4 raised by 200,000, layer 5 now 300,000: the round's answers come before the filing, twice
        answers = [again(application_id, appeal_id, 5, 300_000), again(application_id, appeal_id, 4, 300_000)]
        await deliver(ctx, table, [answers[0], appeal, answers[0], answers[1], appeal, answers[1]])
        while await settler.settle_due(ctx, limit=50):
            pass
        payments = await ctx.pool.fetch("SELECT kind, total_fen, status, appeal_id FROM payments WHERE application_id = $1"
                                        " ORDER BY kind", application_id)
        assert [tuple(p) for p in payments] == [("application", TOTAL, "settled", None),
                                                ("supplement", 500_000, "settled", appeal_id)]
        (outcome,) = await decided(ctx, application_id)
        assert (outcome["outcome"], outcome["supplement_fen"], outcome["paid_before_fen"], outcome["total_fen"]) == \
            ("revised", 500_000, TOTAL, TOTAL + 500_000)
        assert sorted((line["program"], line["amount_fen"]) for line in outcome["lines"]) == \
            [("major_illness_relief", 300_000), ("temporary_assistance", 200_000)]
        ledger = await ctx.pool.fetchval(
            "SELECT sum(debit_fen) - sum(credit_fen) FROM ledger_entries e JOIN payments p USING (payment_id)"
            " WHERE p.application_id = $1", application_id)
        assert ledger == 0

        # a second appeal lowering layer 4 below the first answer: upheld, nothing paid, nothing paid back
        lower = filed(application_id, 4)
        await deliver(ctx, table, [lower, again(application_id, lower[1].appeal_id, 4, 0),
                                   again(application_id, lower[1].appeal_id, 5, 300_000)])
        outcomes = {o["appeal_id"]: o for o in await decided(ctx, application_id)}
        assert (outcomes[str(lower[1].appeal_id)]["outcome"], outcomes[str(lower[1].appeal_id)]["supplement_fen"]) == ("upheld", 0)
        assert outcomes[str(lower[1].appeal_id)]["paid_before_fen"] == TOTAL + 500_000
        assert await ctx.pool.fetchval("SELECT count(*) FROM payments WHERE application_id = $1", application_id) == 2


async def test_an_appeal_not_decided_within_its_days_is_escalated_once(settings):
    settler = Settler(InProcessRail(), attempts=3, backoff_seconds=0)
    table = {**handlers(3600), **appeals.HANDLERS}
    async with direct("disbursement", settings) as ctx:
        application_id = await paid_application(ctx, table, settler)
        late, fresh = filed(application_id, 2, days_ago=31), filed(application_id, 5)
        await deliver(ctx, table, [late, again(application_id, late[1].appeal_id, 2, 1), fresh])
        assert await appeals.sweep(ctx) >= 1
        assert await appeals.sweep(ctx) == 0
        rows = await ctx.pool.fetch("SELECT payload FROM outbox WHERE application_id = $1 AND topic = 'aid.case.escalated'",
                                    application_id)
        (escalated,) = [json.loads(r["payload"])["data"] for r in rows]
        assert escalated["missing_layers"] == [3, 4, 5] and str(late[1].appeal_id) in escalated["reason"]
        assert await ctx.pool.fetchval("SELECT escalated_at IS NULL FROM appeals WHERE appeal_id = $1", fresh[1].appeal_id)


def test_the_service_runs_the_appeal_handlers_and_sweeper():
    from services.kit.settings import Settings
    service = spec(Settings(kafka_bootstrap_servers="x", database_url="x"))
    assert "aid.appeal.filed.v1" in service.handlers and appeals.run_sweeper in service.background

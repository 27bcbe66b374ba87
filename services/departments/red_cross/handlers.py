"""Red Cross: major-illness relief (layer 5), paid from a limited yearly fund."""
from __future__ import annotations

from contracts.events import DecisionMade, HouseholdFacts, LayerTrail, Outcome
from services.departments.appeals import appeal_handler
from services.departments.decisions import made_by_layer, publish_decision
from services.departments.red_cross import fund, rules
from services.kit.consumer import Tx
from services.kit.policy import policy_on


async def decide_relief(tx: Tx, facts: HouseholdFacts, trail: LayerTrail, appeal_id=None) -> None:
    policy = policy_on(facts.submitted_on)  # the version in force on the submission date
    decision, trail = rules.decide(facts, trail, policy)
    if decision.outcome is Outcome.approved and decision.amount_fen > 0:
        year = facts.submitted_on.year
        # an appeal reserves only the increase over what the fund granted already (a lower result frees nothing:
        # what was paid is not paid back)
        granted = 0 if appeal_id is None else await fund.granted(tx.conn, tx.application_id)
        if decision.amount_fen > granted:
            balance = await fund.lock_balance(tx.conn, year, policy.red_cross_fund_fen)
            decision = rules.deny_for_fund(decision, balance + granted)
            increase = decision.amount_fen - granted
            if increase > 0 and appeal_id is None:
                await fund.reserve(tx.conn, year, tx.application_id, increase)
            elif increase > 0:
                await fund.reserve_increase(tx.conn, year, tx.application_id, appeal_id, increase)
        trail = trail.model_copy(update={"major_illness_fen": decision.amount_fen})
    await publish_decision(tx, decision, facts, trail, appeal_id)


@made_by_layer(4, appeals=True)
async def on_temporary_decided(tx: Tx, event, made: DecisionMade) -> None:
    await decide_relief(tx, made.facts, made.trail, made.appeal_id)


HANDLERS = {
    "aid.decision.made.v1": on_temporary_decided,
    "aid.appeal.filed.v1": appeal_handler({5: decide_relief}),
}

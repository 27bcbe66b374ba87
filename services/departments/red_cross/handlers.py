"""Red Cross: major-illness relief (layer 5), paid from a limited yearly fund."""
from __future__ import annotations

from contracts.events import DecisionMade, Outcome
from services.departments.decisions import made_by_layer, publish_decision
from services.departments.red_cross import fund, rules
from services.kit.consumer import Tx
from services.kit.policy import policy_on


@made_by_layer(4)
async def on_temporary_decided(tx: Tx, event, made: DecisionMade) -> None:
    policy = policy_on(made.facts.submitted_on)  # the version in force on the submission date
    decision, trail = rules.decide(made.facts, made.trail, policy)
    if decision.outcome is Outcome.approved and decision.amount_fen > 0:
        year = made.facts.submitted_on.year
        balance = await fund.lock_balance(tx.conn, year, policy.red_cross_fund_fen)
        decision = rules.deny_for_fund(decision, balance)
        if decision.amount_fen > 0:
            await fund.reserve(tx.conn, year, tx.application_id, decision.amount_fen)
        trail = trail.model_copy(update={"major_illness_fen": decision.amount_fen})
    await publish_decision(tx, decision, made.facts, trail)


HANDLERS = {"aid.decision.made.v1": on_temporary_decided}

"""Civil affairs: status and living support (layer 1), temporary assistance (layer 4)."""
from __future__ import annotations

from contracts.events import ApplicationVerified, DecisionMade
from services.departments.civil_affairs import rules
from services.departments.decisions import made_by_layer, publish_decision
from services.kit.consumer import Tx
from services.kit.policy import policy_on


async def on_verified(tx: Tx, event, verified: ApplicationVerified) -> None:
    decision, trail = rules.decide_living(verified.facts, policy_on(verified.facts.submitted_on))
    await publish_decision(tx, decision, verified.facts, trail)


@made_by_layer(3)
async def on_medical_decided(tx: Tx, event, made: DecisionMade) -> None:
    decision, trail = rules.decide_temporary(made.facts, made.trail, policy_on(made.facts.submitted_on))
    await publish_decision(tx, decision, made.facts, trail)


HANDLERS = {
    "aid.application.verified.v1": on_verified,
    "aid.decision.made.v1": on_medical_decided,
}

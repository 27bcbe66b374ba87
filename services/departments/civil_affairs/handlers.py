"""Civil affairs: status and living support (layer 1), temporary assistance (layer 4)."""
from __future__ import annotations

from contracts.events import ApplicationVerified, DecisionMade, HouseholdFacts, LayerTrail
from services.departments.appeals import appeal_handler
from services.departments.civil_affairs import rules
from services.departments.decisions import made_by_layer, publish_decision, stored_together
from services.kit.consumer import Tx
from services.kit.policy import policy_on


async def decide_living(tx: Tx, facts: HouseholdFacts, _trail: LayerTrail | None = None, appeal_id=None) -> None:
    decision, trail = rules.decide_living(facts, policy_on(facts.submitted_on))
    await publish_decision(tx, decision, facts, trail, appeal_id)


async def decide_temporary(tx: Tx, facts: HouseholdFacts, trail: LayerTrail, appeal_id=None) -> None:
    decision, trail = rules.decide_temporary(facts, trail, policy_on(facts.submitted_on))
    await publish_decision(tx, decision, facts, trail, appeal_id)


@stored_together
async def on_verified(tx: Tx, event, verified: ApplicationVerified) -> None:
    await decide_living(tx, verified.facts)


@made_by_layer(3, appeals=True)
async def on_medical_decided(tx: Tx, event, made: DecisionMade) -> None:
    await decide_temporary(tx, made.facts, made.trail, made.appeal_id)


HANDLERS = {
    "aid.application.verified.v1": on_verified,
    "aid.decision.made.v1": on_medical_decided,
    "aid.appeal.filed.v1": appeal_handler({1: decide_living, 4: decide_temporary}),
}

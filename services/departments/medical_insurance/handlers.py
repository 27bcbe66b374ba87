"""Medical insurance: critical-illness insurance (layer 2) and medical assistance (layer 3)."""
from __future__ import annotations

from contracts.events import DecisionMade, HouseholdFacts, LayerTrail
from services.departments.appeals import appeal_handler
from services.departments.decisions import made_by_layer, publish_decision
from services.departments.medical_insurance import rules
from services.kit.consumer import Tx
from services.kit.policy import policy_on


async def decide_medical(tx: Tx, facts: HouseholdFacts, trail: LayerTrail, appeal_id=None) -> None:
    insurance, assistance, trail = rules.decide(facts, trail, policy_on(facts.submitted_on))
    await publish_decision(tx, insurance, facts, trail, appeal_id)
    await publish_decision(tx, assistance, facts, trail, appeal_id)


@made_by_layer(1, appeals=True)
async def on_status_decided(tx: Tx, event, made: DecisionMade) -> None:
    await decide_medical(tx, made.facts, made.trail, made.appeal_id)


HANDLERS = {
    "aid.decision.made.v1": on_status_decided,
    "aid.appeal.filed.v1": appeal_handler({2: decide_medical, 3: decide_medical}),  # one decision of both layers
}

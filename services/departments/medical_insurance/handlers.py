"""Medical insurance: critical-illness insurance (layer 2) and medical assistance (layer 3)."""
from __future__ import annotations

from contracts.events import DecisionMade
from services.departments.decisions import made_by_layer, publish_decision
from services.departments.medical_insurance import rules
from services.kit.consumer import Tx
from services.kit.policy import policy_on


@made_by_layer(1)
async def on_status_decided(tx: Tx, event, made: DecisionMade) -> None:
    insurance, assistance, trail = rules.decide(made.facts, made.trail, policy_on(made.facts.submitted_on))
    await publish_decision(tx, insurance, made.facts, trail)
    await publish_decision(tx, assistance, made.facts, trail)


HANDLERS = {"aid.decision.made.v1": on_status_decided}

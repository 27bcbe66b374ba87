"""What every department does with a decision: keep it, and announce it to the next layer."""
from __future__ import annotations

from pathlib import Path

from contracts.events import Decision, DecisionMade, HouseholdFacts, LayerTrail
from contracts.routes import LAYER_HEADER
from services.kit.consumer import Tx

DECISIONS_MIGRATIONS = Path(__file__).parent / "migrations"


async def publish_decision(tx: Tx, decision: Decision, facts: HouseholdFacts, trail: LayerTrail) -> None:
    await tx.conn.execute(
        "INSERT INTO decisions(application_id, layer, program, outcome, amount_fen, reason) VALUES ($1, $2, $3, $4, $5, $6)",
        tx.application_id, decision.layer, decision.program.value, decision.outcome.value, decision.amount_fen, decision.reason,
    )
    await tx.emit("aid.decision.made.v1", DecisionMade(decision=decision, facts=facts, trail=trail))


def made_by_layer(layer: int):
    """Filter for handlers that react to the previous layer's decision.

    The consumer reads `wants_headers` before decoding the message and `accepts` before claiming it,
    so the other layers' decisions cost neither a decode nor any transaction work here.
    """
    def wrap(handler):
        async def on_decision(tx: Tx, event, made: DecisionMade) -> None:
            if made.decision.layer == layer:
                await handler(tx, event, made)
        on_decision.__name__ = handler.__name__
        on_decision.accepts = lambda made: made.decision.layer == layer
        on_decision.wants_headers = {LAYER_HEADER: str(layer)}
        return on_decision
    return wrap

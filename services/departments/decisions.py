"""What every department does with a decision: keep it, and announce it to the next layer."""
from __future__ import annotations

import contextvars
from pathlib import Path

from contracts.events import Decision, DecisionMade, HouseholdFacts, LayerTrail
from contracts.routes import LAYER_HEADER
from services.kit.consumer import Item, Tx

DECISIONS_MIGRATIONS = Path(__file__).parent / "migrations"


async def publish_decision(tx: Tx, decision: Decision, facts: HouseholdFacts, trail: LayerTrail,
                           appeal_id=None) -> None:
    """Keep the decision with the facts and trail it announces (an appeal decides again from them), then announce it.
    An appeal round's decisions (appeal_id set) are kept apart from the first ones."""
    row = (tx.application_id, decision.layer, decision.program.value, decision.outcome.value, decision.amount_fen,
           decision.reason, facts.model_dump_json(), trail.model_dump_json())
    if appeal_id is None and (pending := _pending.get()) is not None:
        pending.append(row)  # a set-based run: stored with the run's others in one statement
    elif appeal_id is None:
        await insert_decisions(tx.conn, [row])
    else:
        await tx.conn.execute("INSERT INTO appeal_decisions(application_id, layer, program, outcome, amount_fen, reason,"
                              " facts, trail, appeal_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", *row, appeal_id)
    await tx.emit("aid.decision.made.v1", DecisionMade(decision=decision, facts=facts, trail=trail, appeal_id=appeal_id))


async def insert_decisions(conn, rows: list[tuple]) -> None:
    await conn.execute(
        "INSERT INTO decisions(application_id, layer, program, outcome, amount_fen, reason, facts, trail)"
        " SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::jsonb[],"
        " $8::jsonb[])", *map(list, zip(*rows)))


# the decision rows of the set-based run being handled (None outside one: each decision is stored at once)
_pending: contextvars.ContextVar[list | None] = contextvars.ContextVar("pending_decisions", default=None)


def stored_together(handler):
    """Give `handler` its set-based form (`handler.many`): each event decided as alone, under its own span,
    and the run's first decisions stored in one statement at the end."""
    async def many(conn, items: list[Item]) -> None:
        rows: list[tuple] = []
        token = _pending.set(rows)
        try:
            for item in items:
                with item.tx.active():
                    await handler(item.tx, item.event, item.data)
        finally:
            _pending.reset(token)
        if rows:
            await insert_decisions(conn, rows)
    handler.many = many
    return handler


def made_by_layer(layer: int, appeals: bool = False):
    """Filter for handlers that react to the previous layer's decision.

    The consumer reads `wants_headers` before decoding the message and `accepts` before claiming it,
    so the other layers' decisions cost neither a decode nor any transaction work here.
    An appeal round's decisions reach only handlers that ask for them (`appeals=True`: the departments,
    whose later layers follow an appeal); others (referrals, caseload) see first decisions only.
    """
    def wanted(made: DecisionMade) -> bool:
        return made.decision.layer == layer and (appeals or made.appeal_id is None)

    def wrap(handler):
        async def on_decision(tx: Tx, event, made: DecisionMade) -> None:
            if wanted(made):
                await handler(tx, event, made)
        on_decision.__name__ = handler.__name__
        on_decision.accepts = wanted
        on_decision.wants_headers = {LAYER_HEADER: str(layer)}
        return stored_together(on_decision)
    return wrap

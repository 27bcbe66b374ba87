"""POST /v1/signals: a department posts monitoring signals (JSON lines, contract: DESIGN.md "Leads").

Intake checks every line with the contract's reader (contracts.signals.read_signal) and sends the good ones to
discovery as one aid.signals.submitted event through its outbox (discovery loads them as a file import's rows;
intake never writes discovery's tables). A bad line is refused with its number and rule; the rest still goes.
"""
from __future__ import annotations

import uuid

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from contracts.envelope import new_envelope
from contracts.events import SignalsSubmitted
from contracts.signals import SignalLine, read_signal
from contracts.topics import SIGNALS_SUBMITTED
from services.intake import json_lines
from services.intake.answers import SIGNED_IN, answers
from services.kit import outbox


async def send(conn: asyncpg.Connection, signals: list[SignalLine]) -> uuid.UUID:
    """One event for the batch (personal data: only discovery reads the topic); its key is a batch id."""
    batch_id = uuid.uuid4()
    data = SignalsSubmitted(signals=tuple(s.model_dump(mode="json") for s in signals))
    await outbox.enqueue(conn, SIGNALS_SUBMITTED, new_envelope("aid.signals.submitted.v1", batch_id, "intake", data))
    return batch_id


def install(app: FastAPI, ctx) -> None:
    """On the app itself (an included router would hide the route from the role table's test)."""

    @app.post("/v1/signals", status_code=202, responses=answers(*SIGNED_IN, 413, 415, 422),
              openapi_extra=json_lines.ndjson_body("SignalLine: id_number, signal, amount_fen, observed_on, source, grade?"))
    async def post_signals(request: Request):
        """Monitoring signals from a department (JSON lines, one signal a line, at most 10,000): `{"id_number",
        "signal": "medical_spending" | "income_drop" | "disability" | "death" | "report", "amount_fen",
        "observed_on", "source", "grade"?}`. The good lines go to discovery, which raises the leads; each bad one is
        listed with its line number and rule. All lines bad: 422. Files go to `jointaid monitor import`."""
        found = await json_lines.accepted_lines(request, read_signal, "signal lines", "`jointaid monitor import`")
        if isinstance(found, JSONResponse):
            return found
        signals, refusals, read = found
        async with ctx.pool.acquire() as conn, conn.transaction():
            batch_id = await send(conn, signals)
        ctx.relay.wake()
        return {"batch_id": str(batch_id), "read": read, "accepted": len(signals), "refused": refusals}

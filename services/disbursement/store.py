"""Disbursement's tables: open applications, their answers, the one payment."""
from __future__ import annotations

import uuid

import asyncpg

from contracts.events import Decision, PaymentLine


async def open_application(conn, application_id, expected, account_kind, account_number, language, deadline_seconds) -> None:
    await conn.execute(
        "INSERT INTO applications(application_id, expected_layers, account_kind, account_number, language, deadline_at)"
        " VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6)) ON CONFLICT DO NOTHING",
        application_id, list(expected), account_kind, account_number, language, deadline_seconds,
    )


async def record_decision(conn, application_id, event_id, decision: Decision) -> bool:
    """Store the layer's answer once; a second copy is counted, never used. True when stored."""
    stored = await conn.fetchval(
        "INSERT INTO decisions(application_id, layer, department, program, outcome, amount_fen, recurring, reason)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING 1",
        application_id, decision.layer, decision.department.value, decision.program.value,
        decision.outcome.value, decision.amount_fen, decision.recurring.value, decision.reason,
    )
    if stored is None:
        await conn.execute(
            "INSERT INTO decision_copies(event_id, application_id, layer) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            event_id, application_id, decision.layer,
        )
    return stored is not None


async def lock_unsettled(conn, application_id) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM applications WHERE application_id = $1 AND settled_at IS NULL FOR UPDATE", application_id
    )


async def decisions_of(conn, application_id) -> list[Decision]:
    rows = await conn.fetch(
        "SELECT department, program, layer, outcome, amount_fen, recurring, reason FROM decisions"
        " WHERE application_id = $1 ORDER BY layer", application_id,
    )
    return [Decision(**dict(r)) for r in rows]


async def settle(conn, application_id, lines: list[PaymentLine]) -> uuid.UUID | None:
    """Mark settled and store the payment (none when nothing is due)."""
    await conn.execute("UPDATE applications SET settled_at = now() WHERE application_id = $1", application_id)
    total = sum(line.amount_fen for line in lines)
    if total == 0:
        return None
    payment_id = uuid.uuid4()
    await conn.execute("INSERT INTO payments(payment_id, application_id, total_fen) VALUES ($1, $2, $3)", payment_id, application_id, total)
    await conn.executemany(
        "INSERT INTO payment_lines(payment_id, department, program, amount_fen) VALUES ($1, $2, $3, $4)",
        [(payment_id, l.department.value, l.program.value, l.amount_fen) for l in lines],
    )
    return payment_id

"""Disbursement's tables: open applications, their answers, the one payment and its ledger."""
from __future__ import annotations

import json
import uuid

import asyncpg

from contracts.events import Decision, PaymentLine
from services.disbursement import ledger


async def open_application(conn, application_id, expected, account_kind, account_number, language, deadline_seconds,
                           declared_only: tuple[int, ...] = (), advance_fen: int = 0) -> None:
    await conn.execute(
        "INSERT INTO applications(application_id, expected_layers, account_kind, account_number, language, deadline_at,"
        " declared_only, advance_fen) VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6), $7, $8)"
        " ON CONFLICT DO NOTHING",
        application_id, list(expected), account_kind, account_number, language, deadline_seconds, list(declared_only),
        advance_fen,
    )


async def record_decision(conn, application_id, event_id, decision: Decision, trace_headers: dict) -> bool:
    """Store the layer's answer once; a second copy is counted, never used. True when stored."""
    stored = await conn.fetchval(
        "INSERT INTO decisions(application_id, layer, department, program, outcome, amount_fen, recurring, reason,"
        " reason_zh, trace_headers) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING RETURNING 1",
        application_id, decision.layer, decision.department.value, decision.program.value, decision.outcome.value,
        decision.amount_fen, decision.recurring.value, decision.reason, decision.reason_zh, json.dumps(trace_headers),
    )
    if stored is None:
        await conn.execute(
            "INSERT INTO decision_copies(event_id, application_id, layer) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            event_id, application_id, decision.layer,
        )
    return stored is not None


async def lock_unsettled(conn, application_id) -> asyncpg.Record | None:
    """The open application, locked, with `answered`: the layers whose answer is in (one statement,
    because most calls find an answer still missing and need nothing more)."""
    return await conn.fetchrow(
        "SELECT a.*, ARRAY(SELECT layer FROM decisions d WHERE d.application_id = a.application_id) AS answered"
        " FROM applications a WHERE a.application_id = $1 AND a.settled_at IS NULL FOR UPDATE", application_id
    )


async def application(conn, application_id) -> asyncpg.Record:
    return await conn.fetchrow("SELECT * FROM applications WHERE application_id = $1", application_id)


async def decisions_of(conn, application_id) -> list[Decision]:
    rows = await conn.fetch(
        "SELECT department, program, layer, outcome, amount_fen, recurring, reason, reason_zh FROM decisions"
        " WHERE application_id = $1 ORDER BY layer", application_id,
    )
    return [Decision(**dict(r)) for r in rows]


async def decision_trace_headers(conn, application_id) -> list[dict]:
    rows = await conn.fetch("SELECT trace_headers FROM decisions WHERE application_id = $1 ORDER BY layer", application_id)
    return [json.loads(r["trace_headers"]) for r in rows]


async def lines_of(conn, payment_id) -> list[PaymentLine]:
    rows = await conn.fetch("SELECT department, program, amount_fen FROM payment_lines WHERE payment_id = $1", payment_id)
    return [PaymentLine(**dict(r)) for r in rows]


async def mark_settled(conn, application_id) -> None:
    await conn.execute("UPDATE applications SET settled_at = now() WHERE application_id = $1", application_id)


async def create_payment(conn, application_id, lines: list[PaymentLine], trace_headers: dict,
                         status: str = "pending") -> uuid.UUID:
    """The one payment (pending until the rail settles it, or awaiting_approval), its lines and its approval posting."""
    payment_id = uuid.uuid4()
    total = sum(line.amount_fen for line in lines)
    await conn.execute(
        "INSERT INTO payments(payment_id, application_id, total_fen, trace_headers, status) VALUES ($1, $2, $3, $4, $5)",
        payment_id, application_id, total, json.dumps(trace_headers), status,
    )
    await conn.executemany(
        "INSERT INTO payment_lines(payment_id, department, program, amount_fen) VALUES ($1, $2, $3, $4)",
        [(payment_id, l.department.value, l.program.value, l.amount_fen) for l in lines],
    )
    await post(conn, payment_id, "approval", ledger.approval(lines))
    return payment_id


async def post(conn, payment_id, posting: str, entries: list[ledger.Entry]) -> None:
    if not ledger.balanced(entries):
        raise ValueError(f"unbalanced {posting} posting for payment {payment_id}")
    await conn.executemany(
        "INSERT INTO ledger_entries(payment_id, posting, account, debit_fen, credit_fen, program) VALUES ($1, $2, $3, $4, $5, $6)",
        [(payment_id, posting, e.account, e.debit_fen, e.credit_fen, e.program) for e in entries],
    )


async def due_payments(conn, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        # an application's payment goes to its account; a run's to its payee's (entitlements.py)
        "SELECT p.*, coalesce(a.account_number, e.account_number) AS account_number FROM payments p"
        " LEFT JOIN applications a USING (application_id) LEFT JOIN entitlement_payees e USING (payment_id)"
        " WHERE p.status = 'pending' AND p.next_attempt_at <= now() ORDER BY p.next_attempt_at LIMIT $1"
        " FOR UPDATE OF p SKIP LOCKED", limit,
    )


async def payment_settled(conn, payment_id, reference: str, total_fen: int) -> None:
    await conn.execute(
        "UPDATE payments SET status = 'settled', attempts = attempts + 1, rail_reference = $2, settled_at = now()"
        " WHERE payment_id = $1", payment_id, reference,
    )
    await post(conn, payment_id, "settlement", ledger.settlement(total_fen))


async def payment_attempt_failed(conn, payment_id, final: bool, retry_in_seconds: float) -> int:
    return await conn.fetchval(
        "UPDATE payments SET attempts = attempts + 1, status = CASE WHEN $2 THEN 'failed' ELSE status END,"
        " next_attempt_at = now() + make_interval(secs => $3) WHERE payment_id = $1 RETURNING attempts",
        payment_id, final, retry_in_seconds,
    )


async def overdue(conn, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT application_id, expected_layers FROM applications WHERE settled_at IS NULL AND escalated_at IS NULL"
        " AND deadline_at < now() ORDER BY deadline_at LIMIT $1 FOR UPDATE SKIP LOCKED", limit,
    )


async def mark_escalated(conn, application_id) -> None:
    await conn.execute("UPDATE applications SET escalated_at = now() WHERE application_id = $1", application_id)

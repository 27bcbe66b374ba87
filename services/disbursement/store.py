"""Disbursement's tables: open applications, their answers, the one payment and its ledger."""
from __future__ import annotations

import json
import uuid

import asyncpg

from contracts.events import Decision, PaymentLine
from services.disbursement import ledger


async def open_applications(conn, rows: list[tuple], deadline_seconds: float) -> None:
    """`open_application` for a run: (application_id, expected, account_kind, account_number, language, declared_only,
    advance_fen) rows in one statement (the int arrays travel as text: unnest would flatten them)."""
    await conn.execute(
        "INSERT INTO applications(application_id, expected_layers, account_kind, account_number, language, deadline_at,"
        " declared_only, advance_fen) SELECT v.application_id, v.expected::int[], v.account_kind, v.account_number,"
        " v.language, now() + make_interval(secs => $8), v.declared_only::int[], v.advance_fen"
        " FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[])"
        " AS v(application_id, expected, account_kind, account_number, language, declared_only, advance_fen)"
        " ON CONFLICT DO NOTHING",
        [r[0] for r in rows], [_int_array(r[1]) for r in rows], [r[2] for r in rows], [r[3] for r in rows],
        [r[4] for r in rows], [_int_array(r[5]) for r in rows], [r[6] for r in rows], deadline_seconds,
    )


def _int_array(values) -> str:
    return "{" + ",".join(str(int(v)) for v in values) + "}"


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


async def record_decisions(conn, decisions: list[tuple]) -> list[bool]:
    """`record_decision` for a batch's (application_id, event_id, decision, trace_headers), in one statement
    (two when copies came): for each, True when stored (the first of an application's layer)."""
    if not decisions:
        return []
    columns = list(zip(*((a, d.layer, d.department.value, d.program.value, d.outcome.value, d.amount_fen,
                          d.recurring.value, d.reason, d.reason_zh, json.dumps(t)) for a, _, d, t in decisions)))
    rows = await conn.fetch(
        "INSERT INTO decisions(application_id, layer, department, program, outcome, amount_fen, recurring, reason,"
        " reason_zh, trace_headers) SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[],"
        " $6::bigint[], $7::text[], $8::text[], $9::text[], $10::jsonb[]) ON CONFLICT DO NOTHING RETURNING application_id, layer",
        *map(list, columns),
    )
    new = {(r["application_id"], r["layer"]) for r in rows}
    stored = []
    for application_id, _, decision, _ in decisions:
        stored.append((application_id, decision.layer) in new)
        new.discard((application_id, decision.layer))  # a second copy in the same batch is a copy
    copies = [(a, e, d.layer) for (a, e, d, _), kept in zip(decisions, stored) if not kept]
    if copies:
        await conn.execute(
            "INSERT INTO decision_copies(event_id, application_id, layer) SELECT e, a, l"
            " FROM unnest($1::uuid[], $2::uuid[], $3::int[]) AS c(a, e, l) ON CONFLICT DO NOTHING",
            *map(list, zip(*copies)),
        )
    return stored


async def lock_unsettled_many(conn, application_ids: list) -> list[asyncpg.Record]:
    """`lock_unsettled` for several applications, locked in id order (so two replicas cannot deadlock)."""
    if not application_ids:
        return []
    return await conn.fetch(
        "SELECT a.*, ARRAY(SELECT layer FROM decisions d WHERE d.application_id = a.application_id) AS answered"
        " FROM applications a WHERE a.application_id = ANY($1::uuid[]) AND a.settled_at IS NULL"
        " ORDER BY a.application_id FOR UPDATE", application_ids,
    )


async def lock_unsettled(conn, application_id) -> asyncpg.Record | None:
    """The open application, locked, with `answered`: the layers whose answer is in (one statement,
    because most calls find an answer still missing and need nothing more)."""
    return await conn.fetchrow(
        "SELECT a.*, ARRAY(SELECT layer FROM decisions d WHERE d.application_id = a.application_id) AS answered"
        " FROM applications a WHERE a.application_id = $1 AND a.settled_at IS NULL FOR UPDATE", application_id
    )


async def application(conn, application_id) -> asyncpg.Record:
    return await conn.fetchrow("SELECT * FROM applications WHERE application_id = $1", application_id)


DECISION_FIELDS = ("department", "program", "layer", "outcome", "amount_fen", "recurring", "reason", "reason_zh")
DECISION_COLUMNS = ", ".join(DECISION_FIELDS)


def decision_of(row) -> Decision:
    """A stored decision (a row holding DECISION_COLUMNS, and maybe more)."""
    return Decision(**{name: row[name] for name in DECISION_FIELDS})


async def decisions_of(conn, application_id) -> list[Decision]:
    rows = await conn.fetch(f"SELECT {DECISION_COLUMNS} FROM decisions WHERE application_id = $1 ORDER BY layer", application_id)
    return [decision_of(r) for r in rows]


async def decisions_with_traces(conn, application_id) -> tuple[list[Decision], list[dict]]:
    """The decisions by layer and the trace context each came with (the payment span links them), in one statement."""
    return (await decisions_with_traces_of(conn, [application_id])).get(application_id, ([], []))


async def decisions_with_traces_of(conn, application_ids: list) -> dict:
    """`decisions_with_traces` of several applications in one statement: application_id -> (decisions, traces)."""
    if not application_ids:
        return {}
    found: dict = {}
    for r in await conn.fetch(f"SELECT application_id, {DECISION_COLUMNS}, trace_headers FROM decisions"
                              " WHERE application_id = ANY($1::uuid[]) ORDER BY application_id, layer", application_ids):
        decisions, traces = found.setdefault(r["application_id"], ([], []))
        decisions.append(decision_of(r))
        traces.append(json.loads(r["trace_headers"]))
    return found


async def announcements_of(conn, payments: list) -> dict:
    """What the announcements of a round's application payments need, in three statements for the round:
    payment_id -> (its application, the application's decisions by layer, the payment's lines as written)."""
    if not payments:
        return {}
    application_ids = [p["application_id"] for p in payments]
    applications = {r["application_id"]: r for r in await conn.fetch(
        "SELECT * FROM applications WHERE application_id = ANY($1::uuid[])", application_ids)}
    decisions: dict = {}
    for r in await conn.fetch(f"SELECT application_id, {DECISION_COLUMNS} FROM decisions"
                              " WHERE application_id = ANY($1::uuid[]) ORDER BY application_id, layer", application_ids):
        decisions.setdefault(r["application_id"], []).append(decision_of(r))
    lines: dict = {}
    for r in await conn.fetch("SELECT payment_id, department, program, amount_fen FROM payment_lines"
                              " WHERE payment_id = ANY($1::uuid[]) ORDER BY payment_id, ctid", [p["payment_id"] for p in payments]):
        lines.setdefault(r["payment_id"], []).append(PaymentLine(department=r["department"], program=r["program"],
                                                                 amount_fen=r["amount_fen"]))
    return {p["payment_id"]: (applications[p["application_id"]], decisions.get(p["application_id"], []),
                              lines.get(p["payment_id"], [])) for p in payments}


async def lines_of(conn, payment_id) -> list[PaymentLine]:
    rows = await conn.fetch("SELECT department, program, amount_fen FROM payment_lines WHERE payment_id = $1", payment_id)
    return [PaymentLine(**dict(r)) for r in rows]


async def mark_settled(conn, application_id) -> None:
    await conn.execute("UPDATE applications SET settled_at = now() WHERE application_id = $1", application_id)


async def create_payment(conn, application_id, lines: list[PaymentLine], trace_headers: dict,
                         status: str = "pending") -> uuid.UUID:
    """The one payment (pending until the rail settles it, or awaiting_approval), its lines and its approval
    posting, and the application marked settled: one statement (its foreign keys are checked at its end)."""
    payment_id = uuid.uuid4()
    total = sum(line.amount_fen for line in lines)
    await conn.execute(
        "WITH settled AS (UPDATE applications SET settled_at = now() WHERE application_id = $2),"
        " payment AS (INSERT INTO payments(payment_id, application_id, total_fen, trace_headers, status)"
        "  VALUES ($1, $2, $3, $4, $5)),"
        " lines AS (INSERT INTO payment_lines(payment_id, department, program, amount_fen)"
        "  SELECT $1, * FROM unnest($6::text[], $7::text[], $8::bigint[])) " + post_entries(9),
        payment_id, application_id, total, json.dumps(trace_headers), status,
        [l.department.value for l in lines], [l.program.value for l in lines], [l.amount_fen for l in lines],
        *posting_columns([(payment_id, "approval", ledger.approval(lines))]),
    )
    return payment_id


def post_entries(first: int) -> str:
    """The INSERT of postings' entries from six arrays, $first onwards (`posting_columns`)."""
    p = range(first, first + 6)
    return ("INSERT INTO ledger_entries(payment_id, posting, account, debit_fen, credit_fen, program)"
            f" SELECT * FROM unnest(${p[0]}::uuid[], ${p[1]}::text[], ${p[2]}::text[], ${p[3]}::bigint[],"
            f" ${p[4]}::bigint[], ${p[5]}::text[])")


def posting_columns(postings: list[tuple]) -> tuple[list, ...]:
    """(payment_id, posting, entries) of one or more postings, each checked balanced, as `post_entries`' six arrays."""
    rows = []
    for payment_id, posting, entries in postings:
        if not ledger.balanced(entries):
            raise ValueError(f"unbalanced {posting} posting for payment {payment_id}")
        rows += [(payment_id, posting, e.account, e.debit_fen, e.credit_fen, e.program) for e in entries]
    return tuple(map(list, zip(*rows))) if rows else ([],) * 6


async def post(conn, payment_id, posting: str, entries: list[ledger.Entry]) -> None:
    await conn.execute(post_entries(1), *posting_columns([(payment_id, posting, entries)]))


async def due_payments(conn, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        # an application's payment goes to its account; a run's to its payee's (entitlements.py)
        "SELECT p.*, coalesce(a.account_number, e.account_number) AS account_number FROM payments p"
        " LEFT JOIN applications a USING (application_id) LEFT JOIN entitlement_payees e USING (payment_id)"
        " WHERE p.status = 'pending' AND p.next_attempt_at <= now() ORDER BY p.next_attempt_at LIMIT $1"
        " FOR UPDATE OF p SKIP LOCKED", limit,
    )


async def payments_settled(conn, settled: list[tuple]) -> None:
    """(payment_id, rail reference, total) of payments the rail paid: marked settled, with their settlement
    postings, in one statement."""
    if not settled:
        return
    await conn.execute(
        "WITH settled AS (UPDATE payments p SET status = 'settled', attempts = p.attempts + 1, rail_reference = s.reference,"
        " settled_at = now() FROM unnest($1::uuid[], $2::text[]) AS s(payment_id, reference) WHERE p.payment_id = s.payment_id) "
        + post_entries(3),
        [payment_id for payment_id, _, _ in settled], [reference for _, reference, _ in settled],
        *posting_columns([(payment_id, "settlement", ledger.settlement(total)) for payment_id, _, total in settled]),
    )


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

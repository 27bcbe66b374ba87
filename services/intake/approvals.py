"""Approval above a threshold, intake's side: the waiting payments, the four-eyes rule, the decision.

Disbursement asks (aid.approval.requested); intake keeps the request in its own `approvals` table, serves it
to approvers, and records each decision (who, when, the note) with its aid.approval.decided event in one
transaction. Nobody who registered or handled the application may decide on it (four eyes), whatever role
their token has: subjects are compared, so a caseworker holding an approver token too is still refused.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import asyncpg

from contracts.envelope import new_envelope
from contracts.events import ApprovalDecided, ApprovalRequested, Language
from contracts.topics import APPROVAL_DECIDED
from services.intake.tokens import Principal
from services.kit import outbox

FOUR_EYES = "four_eyes"
STATUSES = ("pending", "approved", "refused")
DEFAULT_PAGE, MAX_PAGE = 50, 500


class Refused(Exception):
    """An approval the caller may not make: HTTP status and the rule's words."""

    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(message)
        self.status, self.body = status, [{"field": field, "message": message}]


async def upsert_payment(conn, application_id, payment_id, kind: str, total_fen: int, status: str) -> None:
    """The view's row of one payment (only for an application intake holds)."""
    await conn.execute(
        "INSERT INTO application_payments(payment_id, application_id, kind, total_fen, status)"
        " SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM applications WHERE application_id = $2)"
        " ON CONFLICT (payment_id) DO UPDATE SET status = EXCLUDED.status, total_fen = EXCLUDED.total_fen, updated_at = now()",
        payment_id, application_id, kind, total_fen, status)


async def upsert_payments(conn, rows: list[tuple]) -> None:
    """`upsert_payment` for several (application_id, payment_id, kind, total_fen, status) in one statement."""
    if not rows:
        return
    latest = {row[1]: row for row in rows}  # one row per payment: an upsert may not touch a row twice
    application_ids, payment_ids, kinds, totals, statuses = map(list, zip(*latest.values()))
    await conn.execute(
        "INSERT INTO application_payments(payment_id, application_id, kind, total_fen, status)"
        " SELECT p.payment_id, p.application_id, p.kind, p.total_fen, p.status"
        " FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::text[])"
        " AS p(application_id, payment_id, kind, total_fen, status)"
        " WHERE EXISTS (SELECT 1 FROM applications a WHERE a.application_id = p.application_id)"
        " ON CONFLICT (payment_id) DO UPDATE SET status = EXCLUDED.status, total_fen = EXCLUDED.total_fen, updated_at = now()",
        application_ids, payment_ids, kinds, totals, statuses)


async def record_request(conn, application_id, requested: ApprovalRequested) -> bool:
    """A payment waits for a second person: listed for approvers, shown in the view. False: not ours."""
    if not await conn.fetchval("SELECT true FROM applications WHERE application_id = $1", application_id):
        return False
    await conn.execute(
        "INSERT INTO approvals(payment_id, application_id, total_fen, threshold_fen, lines, requested_at)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        requested.payment_id, application_id, requested.total_fen, requested.threshold_fen,
        json.dumps([line.model_dump(mode="json") for line in requested.lines]), requested.requested_at)
    await upsert_payment(conn, application_id, requested.payment_id, "application", requested.total_fen, "awaiting_approval")
    return True


def _row(r) -> dict:
    return {"application_id": str(r["application_id"]), "payment_id": str(r["payment_id"]), "total_fen": r["total_fen"],
            "threshold_fen": r["threshold_fen"], "lines": json.loads(r["lines"]), "requested_at": r["requested_at"],
            "status": r["status"], "decided_by": r["decided_by"], "decided_at": r["decided_at"], "note": r["note"]}


async def page(conn: asyncpg.Connection, status: str | None, limit: int, after: int | None) -> dict:
    """Approvals oldest first (no personal data: amounts and lines); continue with `after=next_after`."""
    rows = await conn.fetch(
        "SELECT * FROM approvals WHERE ($1::text IS NULL OR status = $1) AND seq > $2 ORDER BY seq LIMIT $3",
        status, after or 0, limit)
    return {"approvals": [_row(r) for r in rows], "next_after": rows[-1]["seq"] if len(rows) == limit else None}


async def handlers_of(conn, application_id: uuid.UUID) -> set[str]:
    """Who registered or handled the application: none of them may approve its payment."""
    rows = await conn.fetch(
        "SELECT registered_by AS subject FROM applications WHERE application_id = $1 AND registered_by IS NOT NULL"
        " UNION SELECT subject FROM application_handlers WHERE application_id = $1", application_id)
    return {r["subject"] for r in rows}


async def decide(conn, application_id: uuid.UUID, approver: Principal, approve: bool, note: str) -> dict:
    """Record the decision and its event (call inside a transaction); Refused for 404, 403 or 409."""
    application = await conn.fetchrow("SELECT submission->>'language' AS language FROM applications WHERE application_id = $1",
                                      application_id)
    if application is None:
        raise Refused(404, "application_id", "no application with this id")
    if approver.subject in await handlers_of(conn, application_id):
        raise Refused(403, "Authorization", f"{FOUR_EYES}: you registered or handled this application, so another "
                                            "approver must decide on its payment")
    waiting = await conn.fetchrow("SELECT * FROM approvals WHERE application_id = $1 AND status = 'pending' FOR UPDATE",
                                  application_id)
    if waiting is None:
        raise Refused(409, "application_id", "nothing of this application awaits approval (not yet, or already decided)")
    status, at = ("approved" if approve else "refused"), datetime.now(timezone.utc)
    await conn.execute("UPDATE approvals SET status = $2, decided_by = $3, decided_role = $4, decided_at = $5, note = $6"
                       " WHERE payment_id = $1", waiting["payment_id"], status, approver.subject, approver.role, at, note)
    await upsert_payment(conn, application_id, waiting["payment_id"], "application", waiting["total_fen"],
                         "pending" if approve else "refused")
    data = ApprovalDecided(payment_id=waiting["payment_id"], approved=approve, note=note, decided_by=approver.subject,
                           decided_at=at, total_fen=waiting["total_fen"], language=Language(application["language"] or "zh"))
    await outbox.enqueue(conn, APPROVAL_DECIDED, new_envelope("aid.approval.decided.v1", application_id, "intake", data), data)
    return _row(await conn.fetchrow("SELECT * FROM approvals WHERE payment_id = $1", waiting["payment_id"]))


async def waiting_count(conn) -> int:
    return await conn.fetchval("SELECT count(*) FROM approvals WHERE status = 'pending'")

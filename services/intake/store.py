"""Intake's writes and reads: a submission with its outbox event, and the application view."""
from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timezone

import asyncpg

from contracts.application import ApplicationIn
from contracts.events import ApplicationSubmitted, Language
from services.intake import advance_request
from services.intake import referrals
from services.intake.tokens import Principal
from services.kit import outbox
from services.kit.consumer import Tx


class IdempotencyConflict(Exception):
    """The key was used before with a different body."""


def request_hash(application: ApplicationIn) -> str:
    canonical = json.dumps(application.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def submit(conn: asyncpg.Connection, application: ApplicationIn, trace_id: str | None,
                 idempotency_key: str | None, registrar: Principal | None = None,
                 handed: list | None = None) -> tuple[uuid.UUID, bool, datetime]:
    """Store the application and its submitted event; (id, created, submitted_at). Call inside a transaction.
    `registrar` is the staff member who registered it for the household (None: the citizen applied).
    `handed`: receives the events' (outbox ids, rows), for the caller to hand to the relay once committed."""
    application_id = uuid.uuid4()
    if idempotency_key is not None:
        digest = request_hash(application)
        first = await conn.fetchrow(
            "INSERT INTO idempotency_keys(key, request_hash, application_id) VALUES ($1, $2, $3)"
            " ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key RETURNING request_hash, application_id",
            idempotency_key, digest, application_id,
        )
        if first["request_hash"] != digest:
            raise IdempotencyConflict()
        if first["application_id"] != application_id:
            submitted_at = await conn.fetchval("SELECT submitted_at FROM applications WHERE application_id = $1",
                                               first["application_id"])
            return first["application_id"], False, submitted_at
    submission = application.model_dump(mode="json")
    submitted_at = await conn.fetchval(
        "INSERT INTO applications(application_id, status, status_rank, submission, trace_id, registered_by, registered_role)"
        " VALUES ($1, 'submitted', 0, $2, $3, $4, $5) RETURNING submitted_at",
        application_id, json.dumps(submission), trace_id, registrar and registrar.subject, registrar and registrar.role,
    )
    language = Language(submission.get("language") or "zh")
    rows: list[tuple] = []  # the advance's request (urgent: paid at once), then the submission, in one insert
    tx = Tx(conn, "intake", application_id, rows)
    advance_fen = await advance_request.request(tx, application, registrar)
    await tx.emit("aid.application.submitted.v1", ApplicationSubmitted(
        submission=submission, submitted_at=datetime.now(timezone.utc), language=language, advance_fen=advance_fen))
    ids = await outbox.insert_for_relay(conn, rows)
    if handed is not None:
        handed.append((ids, rows))
    return application_id, True, submitted_at


async def view(conn: asyncpg.Connection, application_id: uuid.UUID) -> dict | None:
    row = await conn.fetchrow(
        "SELECT application_id, status, payment, notification, rejection, trace_id FROM applications WHERE application_id = $1",
        application_id,
    )
    if row is None:
        return None
    decisions = await conn.fetch(
        "SELECT department, program, outcome, amount_fen, recurring, reason FROM decisions WHERE application_id = $1 ORDER BY layer",
        application_id,
    )
    return {
        "application_id": str(row["application_id"]),
        "status": row["status"],
        "decisions": [dict(d) for d in decisions],
        "payment": _json(row["payment"]),
        "payments": await payments_of(conn, application_id),
        "referrals": await referrals.of_application(conn, application_id),
        "notification": _json(row["notification"]),
        "rejection": _json(row["rejection"]),
        "trace_id": row["trace_id"],
    }


async def payments_of(conn: asyncpg.Connection, application_id: uuid.UUID) -> list[dict]:
    """Every payment of the application (advance, application, supplement), oldest first."""
    rows = await conn.fetch("SELECT payment_id, kind, total_fen, status FROM application_payments WHERE application_id = $1"
                            " ORDER BY created_at, payment_id", application_id)
    return [{**dict(r), "payment_id": str(r["payment_id"])} for r in rows]


def _json(value):
    return None if value is None else json.loads(value)

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


def request_hash(submission: dict) -> str:
    """The submission's (`ApplicationIn.model_dump(mode="json")`) digest, for its idempotency key."""
    canonical = json.dumps(submission, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# The application, its idempotency key (when given) and its events in one statement: atomic on its own, so a plain
# submission needs no BEGIN and COMMIT around it (five round trips became one). With a key used before, the
# application and its events are not inserted, and the key's first use is answered (its time read apart: a
# submission that raced this one under the same key committed after this statement's snapshot was taken).
_APPLICATION = ("app AS (INSERT INTO applications(application_id, status, status_rank, submission, trace_id, registered_by,"
                " registered_role) SELECT $1, 'submitted', 0, $2, $3, $4, $5{only} RETURNING submitted_at)")
_WITH_KEY = ("WITH key AS (INSERT INTO idempotency_keys(key, request_hash, application_id) VALUES ($6, $7, $1)"
             " ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key RETURNING request_hash, application_id), "
             + _APPLICATION.format(only=" FROM key WHERE key.application_id = $1") + ", "
             + outbox.stored_ctes(8, "EXISTS (SELECT 1 FROM app)") +
             " SELECT k.request_hash, k.application_id, (SELECT submitted_at FROM app) AS submitted_at, s.id, s.event_id"
             " FROM key k LEFT JOIN stored s ON true")
_WITHOUT_KEY = ("WITH " + _APPLICATION.format(only="") + ", " + outbox.stored_ctes(6) +
                " SELECT (SELECT submitted_at FROM app) AS submitted_at, s.id, s.event_id FROM stored s")


async def submit(conn: asyncpg.Connection, application: ApplicationIn, trace_id: str | None,
                 idempotency_key: str | None, registrar: Principal | None = None,
                 handed: list | None = None) -> tuple[uuid.UUID, bool, datetime]:
    """Store the application and its submitted event (an urgent one's advance request before it); (id, created,
    submitted_at). One statement, unless the application is urgent: then its handler and advance rows follow in the
    caller's transaction, or in one opened here. `registrar` is the staff member who registered it for the household
    (None: the citizen applied). `handed`: receives the events' (outbox ids, rows), for the caller to hand to the
    relay once committed."""
    if application.urgent is not None and not conn.is_in_transaction():
        async with conn.transaction():
            return await submit(conn, application, trace_id, idempotency_key, registrar, handed)
    application_id = uuid.uuid4()
    submission = application.model_dump(mode="json")
    advance = advance_request.planned(application, application_id)
    rows: list[tuple] = []  # the advance's request (urgent: paid at once), then the submission, in one insert
    tx = Tx(conn, "intake", application_id, rows)
    if advance is not None:
        await tx.emit("aid.advance.requested.v1", advance)
    await tx.emit("aid.application.submitted.v1", ApplicationSubmitted(
        submission=submission, submitted_at=datetime.now(timezone.utc), language=Language(submission.get("language") or "zh"),
        advance_fen=advance.amount_fen if advance is not None else 0))
    values = (application_id, json.dumps(submission), trace_id, registrar and registrar.subject, registrar and registrar.role)
    if idempotency_key is None:
        stored = await conn.fetch(_WITHOUT_KEY, *values, *outbox.columns(rows))
    else:
        digest = request_hash(submission)
        stored = await conn.fetch(_WITH_KEY, *values, idempotency_key, digest, *outbox.columns(rows))
        first = stored[0]
        if first["request_hash"] != digest:
            raise IdempotencyConflict()
        if first["application_id"] != application_id:  # read apart: this statement's snapshot may predate that row
            return first["application_id"], False, await conn.fetchval(
                "SELECT submitted_at FROM applications WHERE application_id = $1", first["application_id"])
    if application.urgent is not None:
        await advance_request.record(conn, application_id, registrar, advance)
    if handed is not None:
        handed.append((outbox.ids_in_order(rows, stored), rows))
    return application_id, True, stored[0]["submitted_at"]


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

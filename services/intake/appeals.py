"""Appeals at the window: filing one (the rules that need the application), reading one, and its status view.

Filing checks, in order: the application exists (404), was not refused (409 appeal_rejected), has had its
notice (409 appeal_not_notified), the notice is at most [appeals] window_days old (422 appeal_window), the
members named exist (422 appeal_member_unknown), no other appeal of it is open (409 appeal_open; the
database's partial unique key closes the race). The appeal row and its aid.appeal.filed go in one transaction.
The status moves with the events: filed -> under_review (a department's new decision is in) -> upheld |
revised (aid.appeal.decided); the appeal's own notice is kept on its row, never on the application's.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import asyncpg

from contracts.appeal import AppealIn, member_refusals
from contracts.envelope import new_envelope
from contracts.events import AppealDecided, AppealFiled, DecisionMade, Language, NotificationSent
from contracts.topics import APPEAL_FILED
from services.intake.tokens import Principal
from services.kit import outbox
from services.kit.consumer import Tx
from services.kit.policy import current_policy


class Refused(Exception):
    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(message)
        self.status, self.body = status, [{"field": field, "message": message}]


def window_refusal(sent_at: datetime, now: datetime, window_days: int) -> str | None:
    """Pure: the appeal_window rule (within window_days of the notice's sent_at)."""
    if now - sent_at <= timedelta(days=window_days):
        return None
    return (f"appeal_window: an appeal is filed within {window_days} days of the notice; "
            f"this notice was sent on {sent_at.date().isoformat()}")


async def file(conn: asyncpg.Connection, application_id: uuid.UUID, appeal: AppealIn, principal: Principal) -> dict:
    """Record the appeal and its event (call inside a transaction); Refused names the rule."""
    row = await conn.fetchrow("SELECT submission, notification, rejection FROM applications WHERE application_id = $1"
                              " FOR UPDATE", application_id)
    if row is None:
        raise Refused(404, "application_id", "no application with this id")
    if row["rejection"] is not None:
        raise Refused(409, "application_id", "appeal_rejected: the application was refused before any department decided; "
                                             "apply again, or ask the window to review the refusal")
    if row["notification"] is None:
        raise Refused(409, "application_id", "appeal_not_notified: an appeal is filed once the application's notice is sent")
    sent_at = datetime.fromisoformat(json.loads(row["notification"])["sent_at"])
    late = window_refusal(sent_at, datetime.now(timezone.utc), current_policy().appeals.window_days)
    if late:
        raise Refused(422, "application_id", late)
    submission = json.loads(row["submission"])
    unknown = member_refusals(appeal, len(submission["household"]["members"]))
    if unknown:
        raise Refused(422, unknown[0]["field"], unknown[0]["message"])
    appeal_id = uuid.uuid4()
    try:
        filed_at = await conn.fetchval(
            "INSERT INTO appeals(appeal_id, application_id, layer, grounds, facts, filed_by, filed_role)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING filed_at",
            appeal_id, application_id, appeal.layer, appeal.grounds, appeal.facts.model_dump_json(), principal.subject,
            principal.role)
    except asyncpg.UniqueViolationError:
        raise Refused(409, "application_id", "appeal_open: this application has an appeal not decided yet; "
                                             "one appeal at a time") from None
    data = AppealFiled(appeal_id=appeal_id, layer=appeal.layer, grounds=appeal.grounds, facts=appeal.changes(),
                       filed_at=filed_at, language=Language(submission.get("language") or "zh"))
    await outbox.enqueue(conn, APPEAL_FILED, new_envelope("aid.appeal.filed.v1", application_id, "intake", data))
    return {"appeal_id": str(appeal_id), "status": "filed"}


async def application_of(conn: asyncpg.Connection, appeal_id: str) -> uuid.UUID | None:
    """Whose appeal this is (a citizen token may read its own application's appeals only)."""
    try:
        parsed = uuid.UUID(appeal_id)
    except ValueError:
        return None
    return await conn.fetchval("SELECT application_id FROM appeals WHERE appeal_id = $1", parsed)


async def view(conn: asyncpg.Connection, appeal_id: uuid.UUID) -> dict | None:
    row = await conn.fetchrow("SELECT * FROM appeals WHERE appeal_id = $1", appeal_id)
    if row is None:
        return None
    return {
        "appeal_id": str(row["appeal_id"]), "application_id": str(row["application_id"]), "layer": row["layer"],
        "status": row["status"], "supplement_fen": row["supplement_fen"],
        "payment_id": row["payment_id"] and str(row["payment_id"]),
        "filed_at": row["filed_at"].isoformat(), "decided_at": row["decided_at"] and row["decided_at"].isoformat(),
        "decisions": json.loads(row["decisions"]) if row["decisions"] else [],
        "notice": json.loads(row["notice"]) if row["notice"] else None,
    }


# ---- the status view (events) ------------------------------------------------------------------

async def on_round_decision(tx: Tx, made: DecisionMade) -> None:
    """A department decided again: the appeal is under review."""
    await tx.conn.execute("UPDATE appeals SET status = 'under_review' WHERE appeal_id = $1 AND status = 'filed'",
                          made.appeal_id)


async def on_decided(tx: Tx, event, decided: AppealDecided) -> None:
    decisions = json.dumps([d.model_dump(mode="json", exclude={"reason_zh"}) for d in decided.decisions])
    await tx.conn.execute(
        "UPDATE appeals SET status = $2, supplement_fen = $3, payment_id = $4, decisions = $5, decided_at = $6"
        " WHERE appeal_id = $1 AND decided_at IS NULL",
        decided.appeal_id, decided.outcome.value, decided.supplement_fen, decided.payment_id, decisions, decided.decided_at)
    if decided.payment_id is not None:  # listed in the application's payments until the rail settles it
        await tx.conn.execute(
            "INSERT INTO application_payments(payment_id, application_id, kind, total_fen, status)"
            " SELECT $1, $2, 'supplement', $3, 'pending' WHERE EXISTS (SELECT 1 FROM applications WHERE application_id = $2)"
            " ON CONFLICT (payment_id) DO NOTHING", decided.payment_id, tx.application_id, decided.supplement_fen)


async def on_notice(tx: Tx, sent: NotificationSent) -> None:
    await tx.conn.execute("UPDATE appeals SET notice = $2 WHERE appeal_id = $1", sent.appeal_id, sent.model_dump_json())


HANDLERS = {"aid.appeal.decided.v1": on_decided}

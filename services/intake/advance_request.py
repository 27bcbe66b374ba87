"""Urgent applications at the single window: who may mark one, and the advance requested at once.

Only a caseworker marks an application urgent (a citizen cannot self-mark: 403 naming the rule, for an
anonymous submission too: the body is valid, the caller lacks the authority). The advance is written in
the submission's transaction: its event to disbursement (payout account included: only disbursement reads
the topic), the view's `payments` row (pending), and the caseworker as a handler (four eyes).
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from contracts.application import ApplicationIn
from contracts.events import AdvanceRequested, PayoutAccount
from services.departments.civil_affairs.advance import advance_of
from services.intake.tokens import Principal
from services.kit.consumer import Tx
from services.kit.policy import policy_on, today_in_shanghai

RULE = "urgent_by_caseworker"
MARKING_ROLES = ("caseworker",)


def refusal(application: ApplicationIn, principal: Principal | None) -> list[dict] | None:
    """The 403 body when someone other than a caseworker marks the application urgent; None when allowed."""
    if application.urgent is None or (principal is not None and principal.role in MARKING_ROLES):
        return None
    return [{"field": "urgent", "message": f"{RULE}: only a caseworker may mark an application urgent "
                                          "(aid first, paperwork after); submit it without `urgent`, or ask the window"}]


def advance_payment_id(application_id: uuid.UUID) -> uuid.UUID:
    """One advance per application: its id follows from the application's."""
    return uuid.uuid5(application_id, "advance")


async def request(tx: Tx, application: ApplicationIn, registrar: Principal | None) -> int:
    """For an urgent application: the advance's event, view row and handler; the advance (0: none due)."""
    if application.urgent is None:
        return 0
    conn, application_id = tx.conn, tx.application_id
    if registrar is not None:
        await record_handler(conn, application_id, registrar.subject, "marked urgent")
    amount, hardship = advance_of(application, policy_on(today_in_shanghai()))
    if amount == 0:
        return 0  # below the first tier, or a residence temporary assistance does not serve: the decision follows as usual
    payment_id = advance_payment_id(application_id)
    account = PayoutAccount(kind=application.payout_account.kind.value, number=application.payout_account.number)
    data = AdvanceRequested(payment_id=payment_id, amount_fen=amount, urgent_kind=application.urgent.kind.value,
                            hardship_fen=hardship, payout_account=account, language=application.language,
                            requested_at=datetime.now(timezone.utc))
    await tx.emit("aid.advance.requested.v1", data)
    await conn.execute(
        "INSERT INTO application_payments(payment_id, application_id, kind, total_fen, status) VALUES ($1, $2, 'advance', $3, 'pending')",
        payment_id, application_id, amount)
    return amount


async def record_handler(conn, application_id: uuid.UUID, subject: str, what: str) -> None:
    """Someone who handled the application (besides registering it): they may not approve its payment."""
    await conn.execute("INSERT INTO application_handlers(application_id, subject, what) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                       application_id, subject, what)

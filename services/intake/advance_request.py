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


def planned(application: ApplicationIn, application_id: uuid.UUID) -> AdvanceRequested | None:
    """The advance an urgent application asks for, as its event's data; None when it is not urgent or none is due
    (below the first tier, or a residence temporary assistance does not serve: the decision follows as usual)."""
    if application.urgent is None:
        return None
    amount, hardship = advance_of(application, policy_on(today_in_shanghai()))
    if amount == 0:
        return None
    account = PayoutAccount(kind=application.payout_account.kind.value, number=application.payout_account.number)
    return AdvanceRequested(payment_id=advance_payment_id(application_id), amount_fen=amount,
                            urgent_kind=application.urgent.kind.value, hardship_fen=hardship, payout_account=account,
                            language=application.language, requested_at=datetime.now(timezone.utc))


async def record(conn, application_id: uuid.UUID, registrar: Principal | None, advance: AdvanceRequested | None) -> None:
    """Beside an urgent application (in its transaction): who marked it (a handler: they may not approve its
    payment), and the advance's view row (pending). Its event goes with the submission's (`planned`)."""
    if registrar is not None:
        await record_handler(conn, application_id, registrar.subject, "marked urgent")
    if advance is not None:
        await conn.execute("INSERT INTO application_payments(payment_id, application_id, kind, total_fen, status)"
                           " VALUES ($1, $2, 'advance', $3, 'pending')", advance.payment_id, application_id, advance.amount_fen)


async def record_handler(conn, application_id: uuid.UUID, subject: str, what: str) -> None:
    """Someone who handled the application (besides registering it): they may not approve its payment."""
    await conn.execute("INSERT INTO application_handlers(application_id, subject, what) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                       application_id, subject, what)

"""Intake's status view, kept from every result event. Status only moves forward; notified is final."""
from __future__ import annotations

import json

from contracts.events import (ApplicationRejected, ApplicationVerified, ApprovalRequested, CaseEscalated, DecisionMade,
                              NotificationSent, PaymentIssued, PaymentKind)
from services.intake import appeals, approvals
from services.kit.consumer import Tx

# awaiting_approval comes after escalated: a late department's escalation, then its answer, then the approver
RANK = {"submitted": 0, "verifying": 1, "deciding": 2, "escalated": 3, "awaiting_approval": 4, "paid": 5, "rejected": 5,
        "notified": 9}


async def advance(tx: Tx, status: str, **columns) -> None:
    sets = "".join(f", {name} = ${i}" for i, name in enumerate(columns, start=4))
    await tx.conn.execute(
        f"UPDATE applications SET status = CASE WHEN status_rank < $3 THEN $2 ELSE status END,"
        f" status_rank = GREATEST(status_rank, $3), updated_at = now(){sets} WHERE application_id = $1",
        tx.application_id, status, RANK[status], *columns.values(),
    )


async def on_submitted(tx: Tx, event, _data) -> None:
    await advance(tx, "verifying")


async def on_verified(tx: Tx, event, verified: ApplicationVerified) -> None:
    facts = verified.facts
    checks = {"checks": [c.model_dump(mode="json") for c in facts.registry_checks], "notes": list(facts.registry_notes),
              "declared_only": [i for i, m in enumerate(facts.members, start=1) if m.declared_only]}
    await advance(tx, "deciding", registry_checks=json.dumps(checks))


async def on_rejected(tx: Tx, event, rejected: ApplicationRejected) -> None:
    await advance(tx, "rejected", rejection=json.dumps({"rule": rejected.rule, "reason": rejected.reason}))


async def on_decision(tx: Tx, event, made: DecisionMade) -> None:
    if made.appeal_id is not None:  # an appeal round's: the first decisions stay as they are
        await appeals.on_round_decision(tx, made)
        return
    d = made.decision
    await tx.conn.execute(
        "INSERT INTO decisions(application_id, layer, department, program, outcome, amount_fen, recurring, reason)"
        " SELECT $1, $2, $3, $4, $5, $6, $7, $8 WHERE EXISTS (SELECT 1 FROM applications WHERE application_id = $1)"
        " ON CONFLICT DO NOTHING",
        tx.application_id, d.layer, d.department.value, d.program.value, d.outcome.value, d.amount_fen, d.recurring.value, d.reason,
    )


async def on_payment(tx: Tx, event, issued: PaymentIssued) -> None:
    if issued.payment_id is not None:
        await approvals.upsert_payment(tx.conn, tx.application_id, issued.payment_id, issued.kind.value, issued.total_fen,
                                       "settled")
    if issued.kind is PaymentKind.advance:
        return  # aid first: the application is still being decided
    if issued.kind is PaymentKind.supplement:
        return  # an appeal's difference: listed in `payments`; `payment` stays the application's own
    payment = None
    if issued.payment_id is not None:
        payment = json.dumps({"payment_id": str(issued.payment_id), "total_fen": issued.total_fen,
                              "lines": [line.model_dump(mode="json") for line in issued.lines]})
    await advance(tx, "paid", payment=payment)


# A payment run's payment is a household's, not an application's: nothing here to advance.
on_payment.accepts = lambda issued: issued.kind not in (PaymentKind.monthly, PaymentKind.price_subsidy)


async def on_approval_requested(tx: Tx, event, requested: ApprovalRequested) -> None:
    if await approvals.record_request(tx.conn, tx.application_id, requested):
        await advance(tx, "awaiting_approval")


async def on_notified(tx: Tx, event, sent: NotificationSent) -> None:
    if sent.appeal_id is not None:  # an appeal's notice: kept on the appeal, the application's stays
        await appeals.on_notice(tx, sent)
        return
    await advance(tx, "notified", notification=sent.model_dump_json())


async def on_escalated(tx: Tx, event, _escalated: CaseEscalated) -> None:
    await advance(tx, "escalated")
    # after an approval, the rail's last failure escalates a payment that is no longer waiting for anyone
    await tx.conn.execute(
        "UPDATE applications SET status = 'escalated', updated_at = now() WHERE application_id = $1"
        " AND status = 'awaiting_approval' AND EXISTS (SELECT 1 FROM approvals WHERE application_id = $1"
        " AND status = 'approved')", tx.application_id)


HANDLERS = {
    "aid.application.submitted.v1": on_submitted,
    "aid.application.verified.v1": on_verified,
    "aid.application.rejected.v1": on_rejected,
    "aid.decision.made.v1": on_decision,
    "aid.payment.issued.v1": on_payment,
    "aid.notification.sent.v1": on_notified,
    "aid.case.escalated.v1": on_escalated,
    "aid.approval.requested.v1": on_approval_requested,
}

"""Intake's status view, kept from every result event. Status only moves forward; notified is final."""
from __future__ import annotations

import json

from contracts.events import (ApplicationRejected, ApplicationVerified, ApprovalRequested, CaseEscalated, DecisionMade,
                              NotificationSent, PaymentIssued, PaymentKind)
from services.intake import appeals, approvals
from services.kit.consumer import Item, Tx

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


async def advance_many(conn, status: str, application_ids: list, **columns: list) -> None:
    """`advance` for a run of one event type in one statement: the UPDATE joined to the run's ids and their
    values (the columns it sets are all jsonb, given as json text)."""
    if not application_ids:
        return
    sets = "".join(f", {name} = v.{name}::jsonb" for name in columns)
    arrays = "".join(f", ${i}::text[]" for i in range(4, 4 + len(columns)))
    await conn.execute(
        f"UPDATE applications a SET status = CASE WHEN a.status_rank < $2 THEN $1 ELSE a.status END,"
        f" status_rank = GREATEST(a.status_rank, $2), updated_at = now(){sets}"
        f" FROM unnest($3::uuid[]{arrays}) AS v(application_id{''.join(', ' + n for n in columns)})"
        f" WHERE a.application_id = v.application_id",
        status, RANK[status], application_ids, *columns.values(),
    )


def _ids(items: list[Item]) -> list:
    return [item.event.application_id for item in items]


async def on_submitted(tx: Tx, event, _data) -> None:
    await advance(tx, "verifying")


async def on_verified(tx: Tx, event, verified: ApplicationVerified) -> None:
    await advance(tx, "deciding", registry_checks=registry_checks(verified))


def registry_checks(verified: ApplicationVerified) -> str:
    facts = verified.facts
    return json.dumps({"checks": [c.model_dump(mode="json") for c in facts.registry_checks],
                       "notes": list(facts.registry_notes),
                       "declared_only": [i for i, m in enumerate(facts.members, start=1) if m.declared_only]})


async def on_submitted_many(conn, items: list[Item]) -> None:
    await advance_many(conn, "verifying", _ids(items))


async def on_verified_many(conn, items: list[Item]) -> None:
    await advance_many(conn, "deciding", _ids(items), registry_checks=[registry_checks(i.data) for i in items])


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


async def on_decision_many(conn, items: list[Item]) -> None:
    """A run of decisions: the first ones in one statement, an appeal round's one by one."""
    first = []
    for item in items:
        if item.data.appeal_id is not None:
            await appeals.on_round_decision(item.tx, item.data)
        else:
            first.append((item.event.application_id, item.data.decision))
    if first:
        await conn.execute(
            "INSERT INTO decisions(application_id, layer, department, program, outcome, amount_fen, recurring, reason)"
            " SELECT d.* FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[],"
            " $8::text[]) AS d(application_id, layer, department, program, outcome, amount_fen, recurring, reason)"
            " WHERE EXISTS (SELECT 1 FROM applications a WHERE a.application_id = d.application_id) ON CONFLICT DO NOTHING",
            [a for a, _ in first], [d.layer for _, d in first], [d.department.value for _, d in first],
            [d.program.value for _, d in first], [d.outcome.value for _, d in first], [d.amount_fen for _, d in first],
            [d.recurring.value for _, d in first], [d.reason for _, d in first],
        )


async def on_payment(tx: Tx, event, issued: PaymentIssued) -> None:
    if issued.payment_id is not None:
        await approvals.upsert_payment(tx.conn, tx.application_id, issued.payment_id, issued.kind.value, issued.total_fen,
                                       "settled")
    if issued.kind is PaymentKind.advance:
        return  # aid first: the application is still being decided
    if issued.kind is PaymentKind.supplement:
        return  # an appeal's difference: listed in `payments`; `payment` stays the application's own
    await advance(tx, "paid", payment=payment_view(issued))


def payment_view(issued: PaymentIssued) -> str | None:
    if issued.payment_id is None:
        return None
    return json.dumps({"payment_id": str(issued.payment_id), "total_fen": issued.total_fen,
                       "lines": [line.model_dump(mode="json") for line in issued.lines]})


async def on_payment_many(conn, items: list[Item]) -> None:
    """A run of payments: their rows in `payments` in one statement, the applications paid in another."""
    held = [(i.event.application_id, i.data) for i in items if i.data.payment_id is not None]
    await approvals.upsert_payments(conn, [(a, p.payment_id, p.kind.value, p.total_fen, "settled") for a, p in held])
    paid = [i for i in items if i.data.kind not in (PaymentKind.advance, PaymentKind.supplement)]
    await advance_many(conn, "paid", _ids(paid), payment=[payment_view(i.data) for i in paid])


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


async def on_notified_many(conn, items: list[Item]) -> None:
    for item in items:
        if item.data.appeal_id is not None:
            await appeals.on_notice(item.tx, item.data)
    notified = [i for i in items if i.data.appeal_id is None]
    await advance_many(conn, "notified", _ids(notified), notification=[i.data.model_dump_json() for i in notified])


async def on_escalated(tx: Tx, event, _escalated: CaseEscalated) -> None:
    await advance(tx, "escalated")
    # after an approval, the rail's last failure escalates a payment that is no longer waiting for anyone
    await tx.conn.execute(
        "UPDATE applications SET status = 'escalated', updated_at = now() WHERE application_id = $1"
        " AND status = 'awaiting_approval' AND EXISTS (SELECT 1 FROM approvals WHERE application_id = $1"
        " AND status = 'approved')", tx.application_id)


# set-based forms of the busiest handlers: a batch's run of one event type in a statement or two
on_submitted.many, on_verified.many, on_decision.many = on_submitted_many, on_verified_many, on_decision_many
on_payment.many, on_notified.many = on_payment_many, on_notified_many

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

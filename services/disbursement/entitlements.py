"""A payment run's entitlements: one payment each, through the same ledger and rail as an application's.

The payment_id is the entitlement_id, so the rail (keyed by payment_id) pays an entitlement once even
if its event came twice, and `payments`' unique (recipient_id, period, kind) refuses a second payment
for a household's period and kind whatever its id. The settler announces it settled (Settler.settled).
"""
from __future__ import annotations

import json

from contracts.events import Department, EntitlementMade, Language, PaymentIssued, PaymentKind, PaymentLine
from services.disbursement import ledger, settlement, store
from services.kit import tracing
from services.kit.consumer import Tx

# Every caseload program (extreme_poverty, mla, low_income) and the price subsidy are civil affairs' money.
DEPARTMENT = Department.civil_affairs


def line_of(made: EntitlementMade) -> PaymentLine:
    return PaymentLine(department=DEPARTMENT, program=made.program, amount_fen=made.amount_fen)


async def on_entitlement(tx: Tx, event, made: EntitlementMade) -> None:
    """The payment (pending until the rail settles it), its line, payee and approval posting; once."""
    payment_id = made.entitlement_id
    created = await tx.conn.fetchval(
        "INSERT INTO payments(payment_id, kind, recipient_id, period, run_id, total_fen, trace_headers)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING true",
        payment_id, made.kind.value, made.recipient_id, made.period, made.run_id, made.amount_fen,
        json.dumps(tracing.capture()),
    )
    if not created:
        return  # this entitlement, or this household's period and kind, has its payment already
    line = line_of(made)
    await tx.conn.execute(
        "INSERT INTO entitlement_payees(payment_id, account_kind, account_number, language) VALUES ($1, $2, $3, $4)",
        payment_id, made.payout_account.kind, made.payout_account.number, made.language.value,
    )
    await tx.conn.execute(
        "INSERT INTO payment_lines(payment_id, department, program, amount_fen) VALUES ($1, $2, $3, $4)",
        payment_id, line.department.value, line.program.value, line.amount_fen,
    )
    await store.post(tx.conn, payment_id, "approval", ledger.approval([line]))


async def issued(conn, payment) -> PaymentIssued:
    """The announcement of a settled payment with its own payee row: a run's (keyed by the household: the
    settler's Tx), or an application's advance (kind advance, no period)."""
    payee = await conn.fetchrow("SELECT * FROM entitlement_payees WHERE payment_id = $1", payment["payment_id"])
    lines = await store.lines_of(conn, payment["payment_id"])
    return PaymentIssued(
        payment_id=payment["payment_id"], total_fen=payment["total_fen"], lines=tuple(lines), decisions=(),
        account_kind=payee["account_kind"], account_last4=settlement.last4(payee["account_number"]),
        language=Language(payee["language"]), kind=PaymentKind(payment["kind"]), recipient_id=payment["recipient_id"],
        period=payment["period"], run_id=payment["run_id"],
    )


HANDLERS = {"aid.entitlement.made.v1": on_entitlement}

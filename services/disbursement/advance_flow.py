"""An urgent application's advance: paid at once, before any layer decides; the final payment waits for it.

Intake sends the advance (aid.advance.requested) with its payment_id, so a redelivery finds the same row
(`payments`' unique (application_id, kind) refuses a second advance whatever its id). Its payee row is
kept in entitlement_payees (a payment made before, or without, an application row here), so its
announcement is built as a run payment's is (entitlements.issued: kind advance, no period). The final
payment is made once the advance is settled (taken off) or finally failed (nothing to take off).
"""
from __future__ import annotations

import json

from contracts.events import AdvanceRequested
from services.disbursement import advances, ledger, store
from services.kit import tracing
from services.kit.consumer import Tx


async def on_advance_requested(tx: Tx, event, requested: AdvanceRequested) -> None:
    """The advance (pending: the rail settles it at once), its line, payee and approval posting; once."""
    created = await tx.conn.fetchval(
        "INSERT INTO payments(payment_id, application_id, kind, total_fen, trace_headers) VALUES ($1, $2, 'advance', $3, $4)"
        " ON CONFLICT DO NOTHING RETURNING true",
        requested.payment_id, tx.application_id, requested.amount_fen, json.dumps(tracing.capture()),
    )
    if not created:
        return
    line = advances.advance_line(requested.amount_fen)
    await tx.conn.execute(
        "INSERT INTO entitlement_payees(payment_id, account_kind, account_number, language) VALUES ($1, $2, $3, $4)",
        requested.payment_id, requested.payout_account.kind, requested.payout_account.number, requested.language.value,
    )
    await tx.conn.execute(
        "INSERT INTO payment_lines(payment_id, department, program, amount_fen) VALUES ($1, $2, $3, $4)",
        requested.payment_id, line.department.value, line.program.value, line.amount_fen,
    )
    await store.post(tx.conn, requested.payment_id, "approval", ledger.approval([line]))


async def advance_to_take_off(conn, application) -> int | None:
    """What the final payment takes off for the advance: 0 without one, its total once settled, 0 once it
    finally failed (never paid); None while it is not settled yet (the final waits)."""
    if not application["advance_fen"]:
        return 0
    row = await conn.fetchrow("SELECT status, total_fen FROM payments WHERE application_id = $1 AND kind = 'advance'",
                              application["application_id"])
    if row is None or row["status"] == "pending":
        return None
    return row["total_fen"] if row["status"] == "settled" else 0


async def record_split(conn, application_id, split: advances.Split) -> None:
    """What the advance paid of the decision, what it paid above it, and the waiver's own posting."""
    if not (split.deducted_fen or split.waived_fen):
        return
    await conn.execute("UPDATE applications SET advance_deducted_fen = $2, waived_fen = $3 WHERE application_id = $1",
                       application_id, split.deducted_fen, split.waived_fen)
    if split.waived_fen:
        advance_id = await conn.fetchval("SELECT payment_id FROM payments WHERE application_id = $1 AND kind = 'advance'",
                                         application_id)
        await store.post(conn, advance_id, "waiver", ledger.waiver(advances.advance_line(split.waived_fen)))


async def lock_application(conn, application_id) -> None:
    """The settler takes the application's row before looking at its answers, in a statement of its own, so
    that it sees an answer committed while it waited (the consumer may have just skipped the final because
    the advance was not settled yet: one of the two always sees both)."""
    await conn.execute("SELECT 1 FROM applications WHERE application_id = $1 FOR UPDATE", application_id)


HANDLERS = {"aid.advance.requested.v1": on_advance_requested}

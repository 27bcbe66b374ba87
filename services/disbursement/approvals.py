"""Approval above a threshold (审批权限): a payment above it waits for a second person.

Disbursement holds it (status awaiting_approval, which the rail does not pick) and asks intake, which
serves the approvers and enforces the four-eyes rule; intake's decision comes back as
aid.approval.decided: approved -> pending (the rail pays it), refused -> refused, its approval posting
reversed so the ledger stays balanced. The threshold is the version in force when the payment is made:
approval authority is about paying now, not about the rules the decisions were taken under.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from contracts.events import ApprovalDecided, ApprovalRequested, PaymentLine
from services.disbursement import ledger, store
from services.kit.consumer import Tx
from services.kit.policy import current_policy

log = logging.getLogger(__name__)


def needs_approval(total_fen: int, threshold_fen: int) -> bool:
    """"Above" the threshold: strictly greater."""
    return total_fen > threshold_fen


def threshold_fen() -> int:
    return current_policy().approval.threshold_fen


async def hold(tx: Tx, payment_id, lines: list[PaymentLine], threshold: int) -> None:
    """Ask for a second person (the payment was created awaiting_approval)."""
    total = sum(line.amount_fen for line in lines)
    await tx.emit("aid.approval.requested.v1", ApprovalRequested(
        payment_id=payment_id, total_fen=total, threshold_fen=threshold, lines=tuple(lines),
        requested_at=datetime.now(timezone.utc)))


async def on_approval_decided(tx: Tx, event, decided: ApprovalDecided) -> None:
    """Release the payment to the rail, or cancel it; once (only a waiting payment moves)."""
    status = "pending" if decided.approved else "refused"
    moved = await tx.conn.fetchval(
        "UPDATE payments SET status = $2, next_attempt_at = now() WHERE payment_id = $1 AND status = 'awaiting_approval'"
        " RETURNING true", decided.payment_id, status)
    if not moved:
        return
    if not decided.approved:
        await store.post(tx.conn, decided.payment_id, "reversal", ledger.reversal(await store.lines_of(tx.conn, decided.payment_id)))
    log.info("payment %s %s by an approver", decided.payment_id, "released" if decided.approved else "refused")


async def waiting(conn) -> int:
    return await conn.fetchval("SELECT count(*) FROM payments WHERE status = 'awaiting_approval'")


HANDLERS = {"aid.approval.decided.v1": on_approval_decided}

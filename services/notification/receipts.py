"""Aid first: the advance's own short receipt, and the notice of a refused approval.

The receipt is kept in `receipts` (one per payment) and sent; it announces no aid.notification.sent,
which stays the application's one notice (verification frees the applicant on it, intake marks the
application notified on it). A refused approval ends the application: that notice is its one message.
"""
from __future__ import annotations

from contracts.events import ApprovalDecided, PaymentIssued
from services.kit.consumer import Tx
from services.notification.advance_message import render_approval_refusal, render_receipt
from services.notification.channels import Channel


async def deliver_receipt(tx: Tx, channel: Channel, issued: PaymentIssued, language: str) -> None:
    text = render_receipt(issued, language)
    stored = await tx.conn.fetchval(
        "INSERT INTO receipts(payment_id, application_id, kind, channel, language, text) VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT DO NOTHING RETURNING true",
        issued.payment_id, tx.application_id, issued.kind.value, channel.name, language, text)
    if stored:
        await channel.send(issued.payment_id, text, language)  # the payment's id: a webhook dedupes on it


def refusal_handler(channel: Channel, deliver):
    """aid.approval.decided: a refusal is the application's one notice (`deliver`: handlers.deliver)."""
    async def on_decided(tx: Tx, event, decided: ApprovalDecided) -> None:
        await deliver(tx, channel, "approval_refused", decided.language.value,
                      render_approval_refusal(decided, decided.language))

    on_decided.accepts = lambda decided: not decided.approved
    return on_decided

"""A payment run's payment: one short message per household, period and kind (run_messages' key).

The channel is given the payment_id as the message's id: it is the entitlement's, one per household,
period and kind, so a webhook receiver dedupes on it (the household's id repeats every month).
"""
from __future__ import annotations

from datetime import timezone

from contracts.events import NotificationSent, PaymentIssued, PaymentKind
from services.kit.consumer import Tx
from services.notification.channels import Channel
from services.notification.run_message import render_run_payment

RUN_KINDS = frozenset({PaymentKind.monthly, PaymentKind.price_subsidy})


async def deliver(tx: Tx, channel: Channel, issued: PaymentIssued, language: str) -> None:
    """Store, send and announce the message (keyed by the household: the event's key), once."""
    text = render_run_payment(issued, language)
    stored = await tx.conn.fetchval(
        "INSERT INTO run_messages(recipient_id, period, kind, payment_id, channel, language, text)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING sent_at",
        issued.recipient_id, issued.period, issued.kind.value, issued.payment_id, channel.name, language, text,
    )
    if stored is None:
        return  # this household had its message for this period and kind
    await channel.send(issued.payment_id, text, language)
    await tx.emit("aid.notification.sent.v1", NotificationSent(channel=channel.name, text=text,
                                                                sent_at=stored.astimezone(timezone.utc)))

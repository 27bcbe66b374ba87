"""Notification: one message per application that explains every decision."""
from __future__ import annotations

from datetime import datetime, timezone

from contracts.events import ApplicationRejected, NotificationSent, PaymentIssued
from services.kit.consumer import Tx
from services.notification.channels import Channel
from services.notification.message import render_payment, render_rejection


def handlers(channel: Channel):
    async def on_payment(tx: Tx, event, issued: PaymentIssued) -> None:
        await deliver(tx, channel, "payment", issued.language.value, render_payment(issued, issued.language))

    async def on_rejected(tx: Tx, event, rejected: ApplicationRejected) -> None:
        await deliver(tx, channel, "rejection", rejected.language.value, render_rejection(rejected, rejected.language))

    return {"aid.payment.issued.v1": on_payment, "aid.application.rejected.v1": on_rejected}


async def deliver(tx: Tx, channel: Channel, kind: str, language: str, text: str) -> None:
    stored = await tx.conn.fetchval(
        "INSERT INTO messages(application_id, kind, channel, language, text) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (application_id) DO NOTHING RETURNING sent_at",
        tx.application_id, kind, channel.name, language, text,
    )
    if stored is None:
        return  # this application has had its one message
    await channel.send(tx.application_id, text)
    await tx.emit("aid.notification.sent.v1", NotificationSent(channel=channel.name, text=text, sent_at=stored.astimezone(timezone.utc)))

"""An appeal's one notice (aid.appeal.decided): kept in `appeal_messages` (one per appeal), sent, announced.

Its aid.notification.sent carries the appeal_id, so intake keeps it on the appeal and the application's one
notice stays as it was. The supplement's own aid.payment.issued (kind supplement) sends nothing more: this
notice already names it.
"""
from __future__ import annotations

from datetime import timezone

from contracts.events import AppealDecided, NotificationSent
from services.kit.consumer import Tx
from services.notification.appeal_message import render_appeal
from services.notification.channels import Channel


def handler(channel: Channel):
    async def on_appeal_decided(tx: Tx, event, decided: AppealDecided) -> None:
        text = render_appeal(decided, decided.language)
        sent_at = await tx.conn.fetchval(
            "INSERT INTO appeal_messages(appeal_id, application_id, outcome, channel, language, text)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING sent_at",
            decided.appeal_id, tx.application_id, decided.outcome.value, channel.name, decided.language.value, text)
        if sent_at is None:
            return  # this appeal has had its notice
        await channel.send(decided.appeal_id, text, decided.language.value)  # the appeal's id: a webhook dedupes on it
        await tx.emit("aid.notification.sent.v1", NotificationSent(channel=channel.name, text=text,
                                                                   sent_at=sent_at.astimezone(timezone.utc),
                                                                   appeal_id=decided.appeal_id))

    return on_appeal_decided

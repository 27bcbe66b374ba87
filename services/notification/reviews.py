"""An annual review's outcome: one short message per household per review (review_messages' key), to the
households whose status or amount changed; a continued one gets none.

The channel is given a message id derived from (review, household): the household's id repeats every
review and every month, so a webhook receiver dedupes on this one.
"""
from __future__ import annotations

import uuid
from datetime import timezone

from contracts.events import NotificationSent, RecipientChanged
from services.kit.consumer import Tx
from services.notification.channels import Channel
from services.notification.review_message import render_review

MESSAGE_NAMESPACE = uuid.UUID("9b3f6a21-0c4d-4e7b-a5f8-3d2e1c0b9a87")


def message_id_of(review_id: uuid.UUID, recipient_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(MESSAGE_NAMESPACE, f"{review_id}:{recipient_id}")


def handler(channel: Channel):
    async def on_recipient_changed(tx: Tx, event, changed: RecipientChanged) -> None:
        text = render_review(changed, changed.language)
        if text is None:
            return  # enrolled, imported or continued: nothing to tell
        stored = await tx.conn.fetchval(
            "INSERT INTO review_messages(review_id, recipient_id, change, channel, language, text)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING sent_at",
            changed.review_id, changed.recipient_id, changed.change.value, channel.name, changed.language.value, text,
        )
        if stored is None:
            return  # this household had its message for this review
        await channel.send(message_id_of(changed.review_id, changed.recipient_id), text, changed.language.value)
        # keyed by the household (the event's key): intake's and verification's consumers find no application
        # under it and change nothing
        await tx.emit("aid.notification.sent.v1", NotificationSent(channel=channel.name, text=text,
                                                                    sent_at=stored.astimezone(timezone.utc)))

    return on_recipient_changed

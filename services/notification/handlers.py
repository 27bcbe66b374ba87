"""Notification: one message per application that explains every decision.

Language rule. The message is Chinese unless English is asked for:
- the application's language wins. `ApplicationIn.language` is not optional: intake fills "zh"
  when the body has none, and verification/disbursement copy it into `aid.application.rejected`
  and `aid.payment.issued`, so every event our services produce carries a language;
- `JOINTAID_LANGUAGE` (Settings.language, zh or en) is the service default, used only when an
  event carries no `language` field at all (a producer that predates the field, an event
  written by hand). It cannot override a submitted "zh": downstream, an explicit "zh" and the
  intake default look the same, so the event's value is taken as the citizen's choice.

Delivery: see channels.py (the row is inserted, then the channel sends, in one transaction).
"""
from __future__ import annotations

from datetime import timezone

from pydantic import BaseModel

from contracts.events import ApplicationRejected, Language, NotificationSent, PaymentIssued, PaymentKind
from services.kit.consumer import Tx
from services.notification import runs
from services.notification import reviews
from services.notification import receipts
from services.notification import appeals
from services.notification import referrals
from services.notification.channels import Channel
from services.notification.message import render_payment, render_rejection


def language_of(data: BaseModel, default: Language | str = Language.zh) -> Language:
    """The event's language when it carries one, else the service default."""
    if "language" in data.model_fields_set:
        return Language(data.language)
    return Language(default)


def handlers(channel: Channel, default_language: Language | str = Language.zh, referral_wait_seconds: float = 0.0):
    async def on_payment(tx: Tx, event, issued: PaymentIssued) -> None:
        language = language_of(issued, default_language)
        if issued.kind in runs.RUN_KINDS:  # a payment run's: its own short message
            await runs.deliver(tx, channel, issued, language.value)
            return
        if issued.kind is PaymentKind.supplement:  # an appeal's difference: the appeal's notice names it
            return
        if issued.kind is PaymentKind.advance:  # aid first: its own receipt; the full notice comes later
            await receipts.deliver_receipt(tx, channel, issued, language.value)
            return
        notes = await referrals.notes_or_hold(tx, issued, language.value, referral_wait_seconds)
        if notes is None:
            return  # held for the providers' answers: referrals.Releaser sends it
        await deliver(tx, channel, "payment", language.value, render_payment(issued, language, notes))

    async def on_rejected(tx: Tx, event, rejected: ApplicationRejected) -> None:
        language = language_of(rejected, default_language)
        await deliver(tx, channel, "rejection", language.value, render_rejection(rejected, language))

    return {"aid.payment.issued.v1": on_payment, "aid.application.rejected.v1": on_rejected,
            "aid.recipient.changed.v1": reviews.handler(channel),
            "aid.approval.decided.v1": receipts.refusal_handler(channel, deliver),
            "aid.appeal.decided.v1": appeals.handler(channel), **referrals.HANDLERS}


async def deliver(tx: Tx, channel: Channel, kind: str, language: str, text: str) -> None:
    stored = await tx.conn.fetchval(
        "INSERT INTO messages(application_id, kind, channel, language, text) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (application_id) DO NOTHING RETURNING sent_at",
        tx.application_id, kind, channel.name, language, text,
    )
    if stored is None:
        return  # this application has had its one message
    # Inside the transaction, after the insert: a failed send rolls the row back, so a redelivery
    # sends again; a send that succeeded before a failed commit is sent again too (at least once).
    await channel.send(tx.application_id, text, language)
    await tx.emit("aid.notification.sent.v1", NotificationSent(channel=channel.name, text=text, sent_at=stored.astimezone(timezone.utc)))

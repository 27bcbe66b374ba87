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
from services.kit.consumer import Item, Tx
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

    async def on_payments(conn, items: list[Item]) -> None:
        """A run of payment notices: the applications' own (the most) with their referrals read in one statement and
        their messages stored in one; a run's, an advance's, an appeal's or one held for referrals as alone."""
        own = [item for item in items if item.data.kind is PaymentKind.application]
        notes = await referrals.notes_of_many(conn, [item.event.application_id for item in own])
        ready = []
        for item in items:
            mine = notes.get(item.event.application_id, []) if item.data.kind is PaymentKind.application else None
            if mine is None or referrals.waits_for_answers(mine, referral_wait_seconds):
                with item.tx.active():
                    await on_payment(item.tx, item.event, item.data)
                continue
            language = language_of(item.data, default_language)
            ready.append((item.tx, language.value, render_payment(item.data, language, mine)))
        await deliver_many(conn, channel, "payment", ready)

    async def on_rejected(tx: Tx, event, rejected: ApplicationRejected) -> None:
        language = language_of(rejected, default_language)
        await deliver(tx, channel, "rejection", language.value, render_rejection(rejected, language))

    on_payment.many = on_payments
    return {"aid.payment.issued.v1": on_payment, "aid.application.rejected.v1": on_rejected,
            "aid.recipient.changed.v1": reviews.handler(channel),
            "aid.approval.decided.v1": receipts.refusal_handler(channel, deliver),
            "aid.appeal.decided.v1": appeals.handler(channel), **referrals.HANDLERS}


async def deliver(tx: Tx, channel: Channel, kind: str, language: str, text: str) -> None:
    await deliver_many(tx.conn, channel, kind, [(tx, language, text)])


async def deliver_many(conn, channel: Channel, kind: str, messages: list[tuple[Tx, str, str]]) -> None:
    """Each (tx, language, text) stored as its application's one message, all in one statement, then sent and
    announced under its own event's trace; an application that has had its message already gets nothing."""
    if not messages:
        return
    stored = await conn.fetch(
        "INSERT INTO messages(application_id, kind, channel, language, text) SELECT m.application_id, $2, $3, m.language,"
        " m.text FROM unnest($1::uuid[], $4::text[], $5::text[]) AS m(application_id, language, text)"
        " ON CONFLICT (application_id) DO NOTHING RETURNING application_id, sent_at",
        [tx.application_id for tx, _, _ in messages], kind, channel.name, [language for _, language, _ in messages],
        [text for _, _, text in messages],
    )
    sent_at = {row["application_id"]: row["sent_at"] for row in stored}
    for tx, language, text in messages:
        if (at := sent_at.pop(tx.application_id, None)) is None:
            continue  # this application has had its one message (or it came twice in this run)
        # Inside the transaction, after the insert: a failed send rolls the row back, so a redelivery
        # sends again; a send that succeeded before a failed commit is sent again too (at least once).
        await channel.send(tx.application_id, text, language)
        await tx.emit("aid.notification.sent.v1", NotificationSent(channel=channel.name, text=text,
                                                                   sent_at=at.astimezone(timezone.utc)))

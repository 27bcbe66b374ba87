"""Referrals in the one notice: notification keeps each referral's state from aid.referral.made / .answered,
and a payment notice whose application still has a referral unanswered is held until every provider has
answered, at most `referral_wait_seconds`; it is then sent once, listing each referral as known then (a
referral still unanswered is shown as referred, the provider will contact them).

The referrals are made at layer 1, four hops before the payment, and the simulated providers answer at once,
so a notice normally waits for nothing. Made and answered come on different topics: either may come first.
"""
from __future__ import annotations

import json
import logging
from typing import Awaitable, Callable

import asyncpg

from contracts.events import Language, PaymentIssued, ReferralAnswered, ReferralMade, ReferralService, ReferralStatus
from services.kit import tracing
from services.kit.consumer import Tx
from services.kit.worker import BackgroundWorker
from services.notification.channels import Channel
from services.notification.message import render_payment
from services.notification.referral_message import ReferralNote

log = logging.getLogger(__name__)
Deliver = Callable[[Tx, Channel, str, str, str], Awaitable[None]]


async def on_made(tx: Tx, event, made: ReferralMade) -> None:
    await tx.conn.execute(
        "INSERT INTO referrals(referral_id, application_id, service, provider, automatic, status)"
        " VALUES ($1, $2, $3, $4, $5, 'made') ON CONFLICT (referral_id) DO UPDATE SET automatic = EXCLUDED.automatic",
        made.referral_id, tx.application_id, made.service.value, made.provider, made.automatic)


async def on_answered(tx: Tx, event, answered: ReferralAnswered) -> None:
    await tx.conn.execute(
        "INSERT INTO referrals(referral_id, application_id, service, provider, status, reason, reason_zh)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (referral_id) DO UPDATE"
        " SET status = EXCLUDED.status, reason = EXCLUDED.reason, reason_zh = EXCLUDED.reason_zh",
        answered.referral_id, tx.application_id, answered.service.value, answered.provider, answered.status.value,
        answered.reason, answered.reason_zh)


HANDLERS = {"aid.referral.made.v1": on_made, "aid.referral.answered.v1": on_answered}


async def notes_of(conn: asyncpg.Connection, application_id) -> list[ReferralNote]:
    return (await notes_of_many(conn, [application_id])).get(application_id, [])


async def notes_of_many(conn: asyncpg.Connection, application_ids: list) -> dict:
    """application_id -> its referrals as the notice lists them (absent: it has none), in one statement."""
    if not application_ids:
        return {}
    notes: dict = {}
    for r in await conn.fetch("SELECT application_id, service, provider, automatic, status, reason, reason_zh"
                              " FROM referrals WHERE application_id = ANY($1::uuid[])", application_ids):
        notes.setdefault(r["application_id"], []).append(ReferralNote(
            ReferralService(r["service"]), r["provider"], ReferralStatus(r["status"]), r["automatic"], r["reason"],
            r["reason_zh"]))
    return notes


def waits_for_answers(notes: list[ReferralNote], wait_seconds: float) -> bool:
    """A notice waits (is held) while a referral is unanswered, if waiting is configured at all."""
    return wait_seconds > 0 and any(note.status is ReferralStatus.made for note in notes)


async def notes_or_hold(tx: Tx, issued: PaymentIssued, language: str, wait_seconds: float) -> list[ReferralNote] | None:
    """The referrals to list now, or None: the notice is held for the providers' answers (Releaser sends it)."""
    notes = await notes_of(tx.conn, tx.application_id)
    if not waits_for_answers(notes, wait_seconds):
        return notes
    await tx.conn.execute(
        "INSERT INTO held_notices(application_id, issued, language, trace_headers, hold_until)"
        " VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) ON CONFLICT DO NOTHING",
        tx.application_id, issued.model_dump_json(), language, json.dumps(tracing.capture()), wait_seconds)
    log.info("notice of %s held for the providers' answers (at most %.0f s)", tx.application_id, wait_seconds)
    return None


class Releaser(BackgroundWorker):
    """Sends each held notice once every referral of its application is answered, or when its wait is over."""

    def __init__(self, channel: Channel, deliver: Deliver):
        self.channel = channel
        self.deliver = deliver
        super().__init__("held notices", idle_seconds=1.0)

    async def round(self, ctx) -> bool:
        return await self.release_due(ctx) > 0

    async def release_due(self, ctx, limit: int = 20) -> int:
        async with ctx.pool.acquire() as conn:
            due = await conn.fetch(
                "SELECT application_id FROM held_notices h WHERE hold_until <= now() OR NOT EXISTS"
                " (SELECT 1 FROM referrals r WHERE r.application_id = h.application_id AND r.status = 'made')"
                " ORDER BY hold_until LIMIT $1", limit)
        released = 0
        for row in due:  # one transaction each: a failed send keeps only its own notice held
            async with ctx.pool.acquire() as conn, conn.transaction():
                held = await conn.fetchrow("DELETE FROM held_notices WHERE application_id = $1 RETURNING *",
                                           row["application_id"])
                if held is None:
                    continue  # another replica sent it
                with tracing.resumed(json.loads(held["trace_headers"])):
                    issued = PaymentIssued.model_validate_json(held["issued"])
                    notes = await notes_of(conn, held["application_id"])
                    text = render_payment(issued, Language(held["language"]), notes)
                    await self.deliver(Tx(conn, "notification", held["application_id"]), self.channel, "payment",
                                       held["language"], text)
            log.info("held notice of %s sent", row["application_id"])
            released += 1
        if released:
            ctx.relay.wake()
        return released

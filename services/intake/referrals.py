"""The application view's `referrals`, kept from aid.referral.made / .answered.

The two come on different topics, so either may arrive first: a made never overwrites an answer."""
from __future__ import annotations

import asyncpg

from contracts.events import ReferralAnswered, ReferralMade, ReferralService
from services.kit.consumer import Tx


async def on_made(tx: Tx, event, made: ReferralMade) -> None:
    await tx.conn.execute(
        "INSERT INTO referrals(referral_id, application_id, service, provider, status) VALUES ($1, $2, $3, $4, 'made')"
        " ON CONFLICT DO NOTHING", made.referral_id, tx.application_id, made.service.value, made.provider)


async def on_answered(tx: Tx, event, answered: ReferralAnswered) -> None:
    await tx.conn.execute(
        "INSERT INTO referrals(referral_id, application_id, service, provider, status) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (referral_id) DO UPDATE SET status = EXCLUDED.status",
        answered.referral_id, tx.application_id, answered.service.value, answered.provider, answered.status.value)


ORDER = [service.value for service in ReferralService]  # as the notice lists them


async def of_application(conn: asyncpg.Connection, application_id) -> list[dict]:
    rows = await conn.fetch("SELECT service, provider, status FROM referrals WHERE application_id = $1"
                            " ORDER BY array_position($2::text[], service)", application_id, ORDER)
    return [dict(row) for row in rows]


HANDLERS = {"aid.referral.made.v1": on_made, "aid.referral.answered.v1": on_answered}

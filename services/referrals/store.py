"""The referrals schema: referrals made, and the provider's answers."""
from __future__ import annotations

import uuid

import asyncpg

from services.referrals.provider import Answer


async def make(conn: asyncpg.Connection, referral_id: uuid.UUID, application_id: uuid.UUID, service: str, provider: str,
               region_code: str, automatic: bool, trace_headers: str) -> asyncpg.Record | None:
    """The new referral's row; None when it exists already (a replay or a repeated decision)."""
    return await conn.fetchrow(
        "INSERT INTO referrals(referral_id, application_id, service, provider, region_code, automatic, trace_headers)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING made_at",
        referral_id, application_id, service, provider, region_code, automatic, trace_headers)


async def unanswered(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """Referrals waiting for their provider, oldest first; locked, so replicas share them out."""
    return await conn.fetch(
        "SELECT * FROM referrals WHERE status = 'made' ORDER BY made_at LIMIT $1 FOR UPDATE SKIP LOCKED", limit)


async def answered(conn: asyncpg.Connection, referral_id: uuid.UUID, answer: Answer) -> asyncpg.Record:
    return await conn.fetchrow(
        "UPDATE referrals SET status = $2, reason = $3, reason_zh = $4, answered_at = now() WHERE referral_id = $1"
        " RETURNING answered_at", referral_id, answer.status.value, answer.reason, answer.reason_zh)

"""Inbox: a consumer applies each event once, whatever the broker redelivers."""
from __future__ import annotations

import uuid

import asyncpg


async def claim(conn: asyncpg.Connection, consumer: str, event_id: uuid.UUID) -> bool:
    """Record the event inside the handler's transaction; False when it was applied before."""
    row = await conn.fetchval(
        "INSERT INTO inbox(consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1",
        consumer,
        event_id,
    )
    return row is not None


async def claim_many(conn: asyncpg.Connection, consumer: str, event_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """A batch's claim in one statement: the ids not applied before (each once, even if listed twice)."""
    rows = await conn.fetch(
        "INSERT INTO inbox(consumer, event_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING RETURNING event_id",
        consumer,
        event_ids,
    )
    return {row["event_id"] for row in rows}

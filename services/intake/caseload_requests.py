"""What payment runs and reviews share at the window: a request recorded once with its event, and the
progress read from caseload's read-only views (operators' view; intake decides nothing from it)."""
from __future__ import annotations

import uuid

import asyncpg
from pydantic import BaseModel

from contracts.envelope import new_envelope
from services.kit.consumer import topic_of
from services.kit import outbox


async def request_once(conn: asyncpg.Connection, insert_sql: str, args: tuple, event_type: str, key: uuid.UUID,
                       data: BaseModel) -> bool:
    """True when this request is new: `insert_sql` (INSERT ... ON CONFLICT DO NOTHING RETURNING true) made
    the row, and the event is queued in the same transaction. A concurrent copy waits on the key, then
    finds it taken."""
    created = await conn.fetchval(insert_sql, *args)
    if created:
        await outbox.enqueue(conn, topic_of(event_type), new_envelope(event_type, key, "intake", data), data)
    return bool(created)


async def progress(conn: asyncpg.Connection, view: str, key_column: str, key: uuid.UUID) -> asyncpg.Record | None:
    """A row of a caseload progress view; None until caseload has taken the request up (or migrated)."""
    try:
        return await conn.fetchrow(f"SELECT * FROM caseload.{view} WHERE {key_column} = $1", key)
    except asyncpg.UndefinedTableError:  # caseload has not migrated yet (it starts beside intake)
        return None

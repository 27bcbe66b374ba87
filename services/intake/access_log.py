"""The access log: every read of an application's personal data, who read it and why (append-only table)."""
from __future__ import annotations

import uuid

import asyncpg

from services.intake.tokens import Principal

MAX_PAGE = 500


async def record(conn: asyncpg.Connection, principal: Principal, application_id: uuid.UUID, what: str,
                 purpose: str | None) -> None:
    """Write the read down before the data leaves: a read that cannot be logged does not happen."""
    await conn.execute(
        "INSERT INTO access_log(subject, role, application_id, what, purpose) VALUES ($1, $2, $3, $4, $5)",
        principal.subject, principal.role, application_id, what, purpose,
    )


async def record_all(conn: asyncpg.Connection, principal: Principal, ids: list[uuid.UUID], what: str,
                     purpose: str | None) -> None:
    """One entry per id read at once (a page of a list), in one statement; `application_id` holds each id read
    (a recipient's id for the caseload's reads, with `what` saying which)."""
    await conn.execute(
        "INSERT INTO access_log(subject, role, application_id, what, purpose)"
        " SELECT $1, $2, id, $4, $5 FROM unnest($3::uuid[]) AS id",
        principal.subject, principal.role, ids, what, purpose,
    )


async def page(conn: asyncpg.Connection, *, limit: int, after: int | None = None,
               application_id: uuid.UUID | None = None) -> dict:
    """Oldest first from `after` (an entry_id); `next_after` continues the listing, null at its end."""
    rows = await conn.fetch(
        "SELECT entry_id, at, subject, role, application_id, what, purpose FROM access_log"
        " WHERE entry_id > $1 AND ($2::uuid IS NULL OR application_id = $2) ORDER BY entry_id LIMIT $3",
        after or 0, application_id, limit + 1,
    )
    entries = [{**dict(r), "at": r["at"].isoformat(), "application_id": str(r["application_id"])} for r in rows[:limit]]
    return {"entries": entries, "next_after": entries[-1]["entry_id"] if len(rows) > limit else None}

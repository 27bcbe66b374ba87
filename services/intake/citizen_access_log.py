"""GET /v1/applications/{application_id}/access-log: "who has read my data", for the citizen's own token.

Every read of the application's personal data from the access log (services/intake/access_log.py), oldest
first: when, which role and department, what was read and why. Not the staff member's subject: the household
learns that the civil affairs window read its file and why, not the name of the person at the desk.
Tokens carry no department claim, so a staff read names its role as the department; a department machine's
subject is the department itself and is shown.
"""
from __future__ import annotations

import uuid

import asyncpg
from fastapi import FastAPI, Query
from fastapi.responses import JSONResponse

from services.intake.answers import SIGNED_IN, answers

DEFAULT_PAGE, MAX_PAGE = 100, 500


def shown(entry: asyncpg.Record | dict) -> dict:
    """Pure: one access-log row as the citizen sees it (no subject, except a department machine's name)."""
    department = entry["subject"] if entry["role"] == "department" else entry["role"]
    return {"entry_id": entry["entry_id"], "at": entry["at"].isoformat(), "role": entry["role"], "department": department,
            "what": entry["what"], "purpose": entry["purpose"]}


async def page(conn: asyncpg.Connection, application_id: uuid.UUID, limit: int, after: int | None) -> dict | None:
    """The application's reads from `after` (an entry_id); None for an unknown application."""
    if await conn.fetchval("SELECT 1 FROM applications WHERE application_id = $1", application_id) is None:
        return None
    rows = await conn.fetch(
        "SELECT entry_id, at, subject, role, what, purpose FROM access_log WHERE application_id = $1 AND entry_id > $2"
        " ORDER BY entry_id LIMIT $3", application_id, after or 0, limit + 1)
    entries = [shown(r) for r in rows[:limit]]
    return {"application_id": str(application_id), "entries": entries,
            "next_after": entries[-1]["entry_id"] if len(rows) > limit else None}


def install(app: FastAPI, ctx) -> None:
    """Routes on the app itself (not an APIRouter), so the role table's test sees them (see recipients_api)."""

    @app.get("/v1/applications/{application_id}/access-log", responses=answers(*SIGNED_IN, 404, 422))
    async def application_access_log(application_id: uuid.UUID,
                                     limit: int = Query(default=DEFAULT_PAGE, ge=1, le=MAX_PAGE),
                                     after: int | None = Query(default=None, ge=0, description="the previous page's next_after")):
        """Who has read this application's personal data: `{"application_id", "entries": [{"entry_id", "at", "role",
        "department", "what", "purpose"}], "next_after"}`, oldest first. The application's own citizen token may call
        it (another citizen's token: 403); no staff member's name is shown."""
        async with ctx.pool.acquire() as conn:
            found = await page(conn, application_id, limit, after)
        if found is None:
            return JSONResponse(status_code=404, content={"detail": "no application with this id"})
        return found

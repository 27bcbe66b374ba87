"""The caseload as caseworkers read it: recipients page by page, one recipient with its history.

Caseload owns the rows; intake reads them through the read-only views `caseload.recipients_read` and
`caseload.recipient_history_read` (caseload migration 004: no payout account, no facts, nothing writable).
ID numbers leave masked (contracts.idnumber.masked); names leave as they are, so every read is written to
the access log before the data leaves (services.intake.access_log), like an application's.
"""
from __future__ import annotations

import json
import uuid

import asyncpg

from contracts.idnumber import masked

DEFAULT_PAGE, MAX_PAGE = 50, 500
_COLUMNS = "recipient_id, status, monthly_amount_fen, members, region_code, enrolled_on, next_review_on"
_PAGE = (f"SELECT {_COLUMNS} FROM caseload.recipients_read"
         " WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR region_code = $2)"
         " AND ($3::uuid IS NULL OR recipient_id > $3) ORDER BY recipient_id LIMIT $4")
_ONE = f"SELECT {_COLUMNS}, first_period, exited_from, source FROM caseload.recipients_read WHERE recipient_id = $1"
_HISTORY = ("SELECT at, change, status, monthly_amount_fen, effective_period, reason, reason_zh"
            " FROM caseload.recipient_history_read WHERE recipient_id = $1 ORDER BY id")


def members_shown(members_json: str) -> list[dict]:
    """The members as the API shows them: ID number masked, name and relation kept."""
    return [{"id_number": masked(m["id_number"]), "name": m["name"], "relation": m["relation"]}
            for m in json.loads(members_json)]


def item(row) -> dict:
    return {"recipient_id": str(row["recipient_id"]), "status": row["status"],
            "monthly_amount_fen": row["monthly_amount_fen"], "members": members_shown(row["members"]),
            "region_code": row["region_code"], "enrolled_on": row["enrolled_on"].isoformat(),
            "next_review_on": row["next_review_on"].isoformat()}


def history_entry(row) -> dict:
    return {"at": row["at"].isoformat(), "change": row["change"], "status": row["status"],
            "monthly_amount_fen": row["monthly_amount_fen"], "effective_period": row["effective_period"],
            "reason": row["reason"], "reason_zh": row["reason_zh"]}


async def page(conn: asyncpg.Connection, *, status: str | None, region: str | None, after: uuid.UUID | None,
               limit: int) -> dict:
    """In recipient_id order from `after`; `next_after` continues the listing, null at its end."""
    rows = await conn.fetch(_PAGE, status, region, after, limit + 1)
    items = [item(row) for row in rows[:limit]]
    return {"recipients": items, "next_after": items[-1]["recipient_id"] if len(rows) > limit else None}


async def one(conn: asyncpg.Connection, recipient_id: uuid.UUID) -> dict | None:
    row = await conn.fetchrow(_ONE, recipient_id)
    if row is None:
        return None
    history = [history_entry(h) for h in await conn.fetch(_HISTORY, recipient_id)]
    return {**item(row), "first_period": row["first_period"], "exited_from": row["exited_from"],
            "source": row["source"], "history": history}

"""Leads as caseworkers read them: page by page, one lead with its consent record.

Discovery owns the leads; intake reads them through the read-only view `discovery.lead_view` (the interface of
DESIGN.md "Leads") beside its own `lead_consents`: a consent intake recorded closes the lead at once for its
readers, before discovery has closed it on aid.lead.consented. ID numbers leave masked (contracts.idnumber.masked,
as the recipients' do); every read is written to the access log before the data leaves (leads_api).
"""
from __future__ import annotations

import json
import uuid

import asyncpg

from contracts.idnumber import masked

_FROM = " FROM discovery.lead_view l LEFT JOIN lead_consents c USING (lead_id)"
_CLOSED = "(l.status = 'closed' OR c.lead_id IS NOT NULL)"
_COLUMNS = (
    "l.lead_id, CASE WHEN " + _CLOSED + " THEN 'closed' ELSE 'open' END AS status,"
    " coalesce(l.outcome, CASE WHEN c.given THEN 'application' WHEN NOT c.given THEN 'consent_refused' END) AS outcome,"
    " l.person_id_number, l.member_id_numbers, l.region_code, l.rules, l.raised_at,"
    " coalesce(l.closed_at, c.recorded_at) AS closed_at, coalesce(l.application_id, c.application_id) AS application_id")
# oldest first; `after` is the last lead_id of the previous page
_PAGE = ("SELECT " + _COLUMNS + _FROM +
         " WHERE ($1::text IS NULL OR ($1 = 'closed') = " + _CLOSED + ")"
         " AND ($2::text IS NULL OR l.rules @> jsonb_build_array(jsonb_build_object('rule', $2::text)))"
         " AND ($3::text IS NULL OR l.region_code = $3)"
         " AND ($4::uuid IS NULL OR (l.raised_at, l.lead_id) > (SELECT raised_at, lead_id FROM discovery.lead_view"
         "                                                      WHERE lead_id = $4))"
         " ORDER BY l.raised_at, l.lead_id LIMIT $5")
_ONE = ("SELECT " + _COLUMNS + ", l.household_id, c.given, c.channel, c.at, c.recorded_by, c.recorded_at"
        + _FROM + " WHERE l.lead_id = $1")
_OPEN_COUNT = "SELECT count(*)" + _FROM + " WHERE NOT " + _CLOSED


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def item(row) -> dict:
    """A lead as listed: the household masked and counted, the rules with their figures."""
    return {"lead_id": str(row["lead_id"]), "status": row["status"], "outcome": row["outcome"],
            "household": {"person_id_number": masked(row["person_id_number"]),
                          "members": len(row["member_id_numbers"])},
            "region_code": row["region_code"], "rules": _json(row["rules"]),
            "raised_at": row["raised_at"].isoformat(),
            "closed_at": row["closed_at"] and row["closed_at"].isoformat(),
            "application_id": row["application_id"] and str(row["application_id"])}


def consent_of(row) -> dict | None:
    if row["given"] is None:
        return None
    return {"given": row["given"], "channel": row["channel"], "at": row["at"].isoformat(),
            "recorded_by": row["recorded_by"], "recorded_at": row["recorded_at"].isoformat()}


async def page(conn: asyncpg.Connection, *, status: str | None, rule: str | None, region: str | None,
               after: uuid.UUID | None, limit: int) -> dict:
    rows = await conn.fetch(_PAGE, status, rule, region, after, limit + 1)
    items = [item(row) for row in rows[:limit]]
    return {"leads": items, "next_after": items[-1]["lead_id"] if len(rows) > limit else None}


async def one(conn: asyncpg.Connection, lead_id: uuid.UUID) -> dict | None:
    """The lead with every member masked and its consent record (null until the household answered)."""
    row = await conn.fetchrow(_ONE, lead_id)
    if row is None:
        return None
    shown = item(row)
    shown["household"]["member_id_numbers"] = [masked(m) for m in row["member_id_numbers"]]
    return {**shown, "consent": consent_of(row)}


async def lead_row(conn: asyncpg.Connection, lead_id: uuid.UUID):
    """What recording a consent needs (the view's own status, the household, the named person); None: unknown."""
    return await conn.fetchrow("SELECT lead_id, status, household_id, person_id_number FROM discovery.lead_view"
                               " WHERE lead_id = $1", lead_id)


async def open_leads(conn: asyncpg.Connection, limit: int) -> tuple[int, list]:
    """(how many leads are open, the oldest `limit` of them) for the console: figures only, no ID numbers."""
    count = await conn.fetchval(_OPEN_COUNT)
    rows = await conn.fetch("SELECT l.lead_id, l.region_code, cardinality(l.member_id_numbers) AS members, l.rules,"
                            " l.raised_at" + _FROM + " WHERE NOT " + _CLOSED + " ORDER BY l.raised_at, l.lead_id LIMIT $1",
                            limit)
    return count, [{**dict(r), "rules": _json(r["rules"])} for r in rows]

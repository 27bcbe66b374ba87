"""An application's trace, read from the shared observability table telemetry.spans.

Every service writes its finished spans there (services/kit/span_store.py); intake reads them
for GET /v1/applications/{id}/trace and the operator console. Operator data, not service
state: intake decides nothing from it.
"""
from __future__ import annotations

import uuid

import asyncpg


async def trace_id_of(conn: asyncpg.Connection, application_id: uuid.UUID) -> tuple[bool, str | None]:
    """(known, trace_id) of an application."""
    row = await conn.fetchrow("SELECT trace_id FROM applications WHERE application_id = $1", application_id)
    return (False, None) if row is None else (True, row["trace_id"])


async def spans(conn: asyncpg.Connection, trace_id: str | None) -> list[dict]:
    """The trace's spans ordered by start, as the contract shows them (ISO 8601 times)."""
    if not trace_id:
        return []
    rows = await conn.fetch(
        "SELECT trace_id, span_id, parent_id, service, name, start_ts, end_ts FROM telemetry.spans"
        " WHERE trace_id = $1 ORDER BY start_ts, end_ts DESC, span_id",
        trace_id,
    )
    return [
        {
            "trace_id": r["trace_id"],
            "span_id": r["span_id"],
            "parent_id": r["parent_id"],
            "service": r["service"],
            "name": r["name"],
            "start": r["start_ts"].isoformat(),
            "end": r["end_ts"].isoformat(),
        }
        for r in rows
    ]


async def trace_of(conn: asyncpg.Connection, application_id: uuid.UUID) -> list[dict] | None:
    """The application's spans; None for an unknown application."""
    known, trace_id = await trace_id_of(conn, application_id)
    if not known:
        return None
    return await spans(conn, trace_id)

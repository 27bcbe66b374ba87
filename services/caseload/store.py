"""Caseload tables: case files of applications on their way in, recipients and their history."""
from __future__ import annotations

import json
import uuid
from datetime import date

import asyncpg


async def case_file_part(conn, application_id, **columns) -> asyncpg.Record:
    """Store one part of an application's case file (whichever arrives first creates it); the file, locked."""
    return (await case_file_parts(conn, {application_id: columns}))[application_id]


async def case_file_parts(conn, values: dict) -> dict:
    """`case_file_part` for a run of one part: application_id -> {column: value}, stored in one statement; each file,
    locked, by application. The caller gives each application once (one statement cannot update a row twice)."""
    names = list(next(iter(values.values())))
    types = {"submission": "jsonb", "facts": "jsonb", "decision": "jsonb"}
    columns = [list(values)] + [[json.dumps(v[name]) if isinstance(v[name], (dict, list)) else v[name] for v in values.values()]
                                for name in names]
    sets = ", ".join(f"{name} = EXCLUDED.{name}" for name in names)
    arrays = ", ".join(f"${i}::{types.get(name, 'text')}[]" for i, name in enumerate(names, start=2))
    rows = await conn.fetch(
        f"INSERT INTO case_files(application_id, {', '.join(names)}) SELECT * FROM unnest($1::uuid[], {arrays})"
        f" ON CONFLICT (application_id) DO UPDATE SET {sets} RETURNING *", *columns)
    return {row["application_id"]: row for row in rows}


async def close_case_file(conn, application_id, enrolled: bool) -> None:
    """Done with it: the submission's personal data is not kept once the recipient holds what it needs."""
    await conn.execute(
        "UPDATE case_files SET submission = NULL, payout_number = NULL,"
        " enrolled_at = CASE WHEN $2 THEN now() END WHERE application_id = $1", application_id, enrolled,
    )


async def enrol(conn, *, recipient_id: uuid.UUID, applicant_id_number: str, status: str, amount_fen: int,
                members: list[dict], facts_json: str, region_code: str, payout_kind: str, payout_number: str,
                language: str, enrolled_on: date, next_review_on: date, first_period: str, source: str,
                application_id: uuid.UUID, change: str, reason: str, reason_zh: str) -> None:
    """A household enters (or re-enters) the caseload from an application: the recipient, its history's line (from
    its first period) and the case file closed as `close_case_file` does, in one statement (its foreign keys are
    checked at its end)."""
    await conn.execute(
        "WITH recipient AS (INSERT INTO recipients(recipient_id, applicant_id_number, status, monthly_amount_fen, members,"
        " facts, region_code, payout_kind, payout_number, language, enrolled_on, next_review_on, first_period, source,"
        " application_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        " ON CONFLICT (recipient_id) DO UPDATE SET status = EXCLUDED.status, monthly_amount_fen = EXCLUDED.monthly_amount_fen,"
        " members = EXCLUDED.members, facts = EXCLUDED.facts, region_code = EXCLUDED.region_code,"
        " payout_kind = EXCLUDED.payout_kind, payout_number = EXCLUDED.payout_number, language = EXCLUDED.language,"
        " enrolled_on = EXCLUDED.enrolled_on, next_review_on = EXCLUDED.next_review_on,"
        " first_period = EXCLUDED.first_period, exited_from = NULL, source = EXCLUDED.source,"
        " application_id = EXCLUDED.application_id, updated_at = now()),"
        " history AS (INSERT INTO recipient_history(recipient_id, change, status, monthly_amount_fen, effective_period,"
        " reason, reason_zh) VALUES ($1, $16, $3, $4, $13, $17, $18))"
        " UPDATE case_files SET submission = NULL, payout_number = NULL, enrolled_at = now() WHERE application_id = $15",
        recipient_id, applicant_id_number, status, amount_fen, json.dumps(members), facts_json, region_code,
        payout_kind, payout_number, language, enrolled_on, next_review_on, first_period, source, application_id,
        change, reason, reason_zh,
    )

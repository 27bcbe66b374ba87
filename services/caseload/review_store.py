"""The annual review's statements: one per step for a whole chunk of households (set-based, unnest)."""
from __future__ import annotations

import json
import uuid
from datetime import date

import asyncpg

from contracts import idnumber
from contracts.events import RegistryPerson, ReviewRequested


async def start_review(conn, requested: ReviewRequested, policy_version: str) -> bool:
    """Take a review up once (its key); False when it was already."""
    return bool(await conn.fetchval(
        "INSERT INTO reviews(review_id, as_of, policy_version, requested_by) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT DO NOTHING RETURNING true",
        requested.review_id, requested.as_of, policy_version, requested.requested_by))


async def running_review(conn) -> asyncpg.Record | None:
    """The oldest unfinished review, locked: one pass of a review at a time, whichever replica runs it."""
    return await conn.fetchrow("SELECT review_id, as_of FROM reviews WHERE finished_at IS NULL"
                               " ORDER BY started_at LIMIT 1 FOR UPDATE SKIP LOCKED")


async def due_recipients(conn, review_id: uuid.UUID, as_of: date, enrolled_by: date, limit: int) -> list[asyncpg.Record]:
    """Up to `limit` households due on `as_of` and not yet reviewed by this review, locked until the chunk commits.
    Being reviewed moves next_review_on past as_of, so the next chunk starts where this one ended."""
    return await conn.fetch(
        "SELECT recipient_id, applicant_id_number, status, members, facts, region_code, language, enrolled_on,"
        " application_id FROM recipients r"
        " WHERE status <> 'exited' AND next_review_on <= $2 AND enrolled_on <= $3"
        "   AND NOT EXISTS (SELECT 1 FROM review_outcomes o WHERE o.review_id = $1 AND o.recipient_id = r.recipient_id)"
        " ORDER BY next_review_on, recipient_id LIMIT $4 FOR UPDATE",
        review_id, as_of, enrolled_by, limit)


async def registry_people(conn, id_numbers: list[str]) -> dict[str, RegistryPerson]:
    """What the registries hold of these people, in one query (registries' table: the registry is the source)."""
    rows = await conn.fetch(
        "SELECT id_number, hukou_region, alive, disability_grade, monthly_income_fen, financial_assets_fen, vehicles,"
        " recorded_at FROM registries.persons WHERE id_number = ANY($1::text[])",
        sorted({idnumber.normalise(n) for n in id_numbers}))
    return {row["id_number"]: RegistryPerson(known=True, **dict(row)) for row in rows}


async def record_outcomes(conn, review_id: uuid.UUID, period: str, next_review_on: date, rows: list[tuple]) -> None:
    """rows: (recipient_id, outcome, prior_status, prior_amount, status, amount, facts_json | None, reason, reason_zh).
    The outcomes, the recipients' new terms from `period` (the present ones kept as prior until then) and
    their history, in three statements."""
    recipient_ids, outcomes, prior_statuses, prior_amounts, statuses, amounts, facts, reasons, reasons_zh = map(list, zip(*rows))
    await conn.execute(
        "INSERT INTO review_outcomes(review_id, recipient_id, outcome, prior_status, prior_amount_fen, status,"
        " monthly_amount_fen, effective_period, reason, reason_zh)"
        " SELECT $1, recipient_id, outcome, prior_status, prior_amount, status, amount, $2, reason, reason_zh"
        " FROM unnest($3::uuid[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::bigint[], $9::text[], $10::text[])"
        "   AS u(recipient_id, outcome, prior_status, prior_amount, status, amount, reason, reason_zh)",
        review_id, period, recipient_ids, outcomes, prior_statuses, prior_amounts, statuses, amounts, reasons, reasons_zh)
    # SET reads the row as it was: the present status and facts become the prior terms until `period`
    # (services.caseload.amounts.terms_for_period), so a run for an earlier period still pays by them.
    await conn.execute(
        "UPDATE recipients r SET prior_status = r.status, prior_facts = r.facts, changed_from = $1,"
        " status = u.status, monthly_amount_fen = u.amount, facts = COALESCE(u.facts, r.facts),"
        " exited_from = CASE WHEN u.status = 'exited' THEN $1 ELSE r.exited_from END,"
        " next_review_on = $2, updated_at = now()"
        " FROM unnest($3::uuid[], $4::text[], $5::bigint[], $6::jsonb[]) AS u(recipient_id, status, amount, facts)"
        " WHERE r.recipient_id = u.recipient_id",
        period, next_review_on, recipient_ids, statuses, amounts, facts)
    await conn.execute(
        "INSERT INTO recipient_history(recipient_id, change, status, monthly_amount_fen, effective_period, reason, reason_zh)"
        " SELECT recipient_id, change, status, amount, $1, reason, reason_zh"
        " FROM unnest($2::uuid[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[])"
        "   AS u(recipient_id, change, status, amount, reason, reason_zh)",
        period, recipient_ids, outcomes, statuses, amounts, reasons, reasons_zh)


async def count(conn, review_id: uuid.UUID, outcomes: list[str], finished: bool) -> None:
    """Add a chunk's outcomes to the review's counts; `finished`: nobody is left to review."""
    n = {name: outcomes.count(name) for name in ("continued", "adjusted", "changed", "exited")}
    await conn.execute(
        "UPDATE reviews SET reviewed = reviewed + $2, continued = continued + $3, adjusted = adjusted + $4,"
        " changed = changed + $5, exited = exited + $6, finished_at = CASE WHEN $7 THEN now() END WHERE review_id = $1",
        review_id, len(outcomes), n["continued"], n["adjusted"], n["changed"], n["exited"], finished)


def facts_json(facts) -> str | None:
    return None if facts is None else facts.model_dump_json()


def members_of(row) -> list[dict]:
    return json.loads(row["members"])

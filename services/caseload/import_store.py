"""Imported households into caseload.recipients, set-based: COPY into a staging table, then one upsert.

The upsert is one statement: the last staged line of each household wins; a household whose digest is
unchanged is not touched; every new or changed one gets its 'imported' history row in the same statement,
and is returned so that its aid.recipient.changed event is written to the outbox in the same transaction.

A changed household already being paid keeps its first period, and the terms in force this month stay
its prior terms until the change's first period (amounts.terms_for_period), as a review's change does;
one that had exited comes back from the import's first period.
"""
from __future__ import annotations

import json
from typing import Iterable, Sequence

import asyncpg

from contracts.envelope import new_envelope
from contracts.events import RecipientChange, RecipientChanged, RecipientStatus, RegistryPerson
from contracts.topics import RECIPIENT_CHANGED
from services.caseload.imported import Terms, members_of
from services.kit import outbox

EVENT_TYPE = "aid.recipient.changed.v1"
PRODUCER = "caseload"
STAGING = "caseload_staging"
STAGED = ("line", "recipient_id", "applicant_id_number", "status", "monthly_amount_fen", "members", "facts", "counted",
          "region_code", "payout_kind", "payout_number", "enrolled_on", "next_review_on", "first_period", "reason",
          "reason_zh", "import_digest")
OUTBOX_CHUNK = 10_000  # events per INSERT: bounds the arrays of one statement

_STAGE = f"""
DROP TABLE IF EXISTS pg_temp.{STAGING};
CREATE TEMP TABLE {STAGING} (
    line int, recipient_id uuid, applicant_id_number text COLLATE "C", status text, monthly_amount_fen bigint,
    members text, facts text, counted int, region_code text, payout_kind text, payout_number text, enrolled_on date,
    next_review_on date, first_period text, reason text, reason_zh text, import_digest text
) ON COMMIT DROP
"""
_OUT = "(r.status = 'exited' OR r.exited_from IS NOT NULL)"  # no longer paid: comes back as new
_PENDING = "r.changed_from >= excluded.first_period"  # a change (a review's) not yet in force: its prior terms are this month's
_UPSERT = f"""
WITH latest AS MATERIALIZED (
    SELECT DISTINCT ON (recipient_id) * FROM pg_temp.{STAGING} ORDER BY recipient_id, line DESC
), upserted AS (
    INSERT INTO recipients AS r (recipient_id, applicant_id_number, status, monthly_amount_fen, members, facts, region_code,
                                 payout_kind, payout_number, enrolled_on, next_review_on, first_period, source, import_digest)
    SELECT recipient_id, applicant_id_number, status, monthly_amount_fen, members::jsonb, facts::jsonb, region_code,
           payout_kind, payout_number, enrolled_on, next_review_on, first_period, 'import', import_digest
    FROM latest
    ON CONFLICT (recipient_id) DO UPDATE SET
        status = excluded.status, monthly_amount_fen = excluded.monthly_amount_fen, members = excluded.members,
        facts = excluded.facts, region_code = excluded.region_code, payout_kind = excluded.payout_kind,
        payout_number = excluded.payout_number, enrolled_on = excluded.enrolled_on,
        next_review_on = excluded.next_review_on,
        first_period = CASE WHEN {_OUT} THEN excluded.first_period ELSE r.first_period END,
        prior_status = CASE WHEN {_OUT} THEN NULL WHEN {_PENDING} THEN r.prior_status ELSE r.status END,
        prior_facts = CASE WHEN {_OUT} THEN NULL WHEN {_PENDING} THEN r.prior_facts ELSE r.facts END,
        changed_from = CASE WHEN {_OUT} THEN NULL ELSE excluded.first_period END,
        exited_from = NULL, source = 'import', import_digest = excluded.import_digest, updated_at = now()
    WHERE r.import_digest IS DISTINCT FROM excluded.import_digest
    RETURNING r.recipient_id, (r.xmax = 0) AS inserted, r.status, r.monthly_amount_fen, r.region_code, r.enrolled_on,
              r.next_review_on, coalesce(r.changed_from, r.first_period) AS effective_period
), changed AS (
    SELECT u.*, l.counted, l.reason, l.reason_zh FROM upserted u JOIN latest l USING (recipient_id)
), history AS (
    INSERT INTO recipient_history(recipient_id, change, status, monthly_amount_fen, effective_period, reason, reason_zh)
    SELECT recipient_id, 'imported', status, monthly_amount_fen, effective_period, reason, reason_zh FROM changed
)
SELECT * FROM changed
"""
_REGISTRY = "SELECT to_regclass('registries.persons') IS NOT NULL"
_PEOPLE = ("SELECT id_number, hukou_region, alive, disability_grade, monthly_income_fen, financial_assets_fen, vehicles,"
           " recorded_at FROM registries.persons WHERE id_number = ANY($1::text[])")


def staged_row(line: int, terms: Terms) -> tuple:
    household = terms.line
    return (line, terms.recipient_id, household.applicant_id_number, household.status.value, terms.monthly_amount_fen,
            json.dumps(members_of(household), ensure_ascii=False), terms.facts.model_dump_json(), len(terms.facts.members),
            household.region_code, household.payout_account.kind.value, household.payout_account.number,
            household.enrolled_on, terms.next_review_on, terms.first_period, terms.reason, terms.reason_zh, terms.digest)


async def registries_present(conn: asyncpg.Connection) -> bool:
    """The registries' table exists (an import into a database where they were never loaded knows nobody)."""
    return await conn.fetchval(_REGISTRY)


async def known_people(conn: asyncpg.Connection, id_numbers: Sequence[str]) -> dict[str, RegistryPerson]:
    """What the registries hold of those of `id_numbers` they know, in one query."""
    rows = await conn.fetch(_PEOPLE, sorted(set(id_numbers)))
    return {row["id_number"]: RegistryPerson(known=True, **dict(row)) for row in rows}


async def stage(conn: asyncpg.Connection) -> None:
    """This transaction's staging table, empty; call inside the transaction."""
    await conn.execute(_STAGE)


async def copy_staged(conn: asyncpg.Connection, rows: Iterable[tuple]) -> None:
    await conn.copy_records_to_table(STAGING, schema_name="pg_temp", columns=STAGED, records=rows)


async def upsert_staged(conn: asyncpg.Connection) -> tuple[int, int]:
    """The one statement, then the events of the households it inserted or changed, a chunk at a time (read through
    a cursor, so a large caseload is never held at once): (inserted, updated). The staging table is dropped."""
    inserted = updated = 0
    cursor = await conn.cursor(_UPSERT)
    while changed := await cursor.fetch(OUTBOX_CHUNK):
        await outbox.insert(conn, [event_row(row) for row in changed])
        fresh = sum(1 for row in changed if row["inserted"])
        inserted, updated = inserted + fresh, updated + len(changed) - fresh
    await conn.execute(f"DROP TABLE pg_temp.{STAGING}")
    return inserted, updated


def event_row(row) -> tuple:
    """The outbox row of one changed household: keyed by recipient_id (the envelope's application_id)."""
    data = RecipientChanged(recipient_id=row["recipient_id"], change=RecipientChange.imported,
                            status=RecipientStatus(row["status"]), monthly_amount_fen=row["monthly_amount_fen"],
                            members=row["counted"], region_code=row["region_code"], enrolled_on=row["enrolled_on"],
                            next_review_on=row["next_review_on"], effective_period=row["effective_period"],
                            reason=row["reason"], reason_zh=row["reason_zh"])
    return outbox.row(RECIPIENT_CHANGED, new_envelope(EVENT_TYPE, row["recipient_id"], PRODUCER, data), data)

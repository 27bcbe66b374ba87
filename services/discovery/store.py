"""Discovery's tables: signals staged and loaded once, the rules run set-based, leads raised and closed.

Everything happens in the caller's transaction (the file import's, or a handler's), so the signals, the
leads and their aid.lead.raised events commit together or not at all. Temporary tables are dropped first
and at commit, so one transaction may load several batches (a consumer batch of aid.signals.submitted).
Read-only cross-schema reads, as caseload's import does: registries.persons (who a person is and their
household), caseload.recipients and intake.applications (who is already helped or applying).
"""
from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterable

import asyncpg
import pyarrow as pa
import pyarrow.csv as pa_csv

from contracts.envelope import new_envelope
from contracts.events import LeadClosed, LeadOutcome, LeadRaised, LeadRule
from contracts.topics import LEAD_RAISED
from services.discovery import figures, rules
from services.discovery.signal_file import STAGED
from services.kit import outbox

MIGRATIONS = Path(__file__).parent / "migrations"  # this schema's tables

PRODUCER = "discovery"
RAISED = "aid.lead.raised.v1"
CLOSED = "aid.lead.closed.v1"
LEADS_CHUNK = 10_000  # leads (and their events) per statement

_STAGE = """
DROP TABLE IF EXISTS pg_temp.discovery_stage;
CREATE TEMP TABLE discovery_stage (
    row_no int, id_number text COLLATE "C", signal text, amount_fen bigint, observed_on date, source text, grade smallint
) ON COMMIT DROP;
DROP TABLE IF EXISTS pg_temp.discovery_fresh;
CREATE TEMP TABLE discovery_fresh (
    digest uuid, id_number text COLLATE "C", signal text, amount_fen bigint, observed_on date, grade smallint,
    household_id text, row_no int
) ON COMMIT DROP;
"""
_DIGEST = ("md5(concat_ws('|', st.id_number, st.signal, coalesce(st.amount_fen::text, ''), st.observed_on, st.source,"
           " coalesce(st.grade::text, '')))::uuid")
# Loads take this lock first, so the new signals can be told from the loaded ones by an anti-join and inserted
# plainly: ON CONFLICT's speculative insertion doubled the time (measured: 21 s -> 10 s a million, under load).
_LOCK = "SELECT pg_advisory_xact_lock(hashtext('discovery: loading signals'))"
_LOAD = """
WITH staged AS (
    SELECT DISTINCT ON (digest) * FROM (SELECT {digest} AS digest, st.* FROM pg_temp.discovery_stage st) d
    ORDER BY digest, row_no
), inserted AS (
    INSERT INTO signals AS s (digest, id_number, signal, amount_fen, observed_on, source, grade, household_id, row_no)
    SELECT x.digest, x.id_number, x.signal, x.amount_fen, x.observed_on, x.source, x.grade, {household}, x.row_no
    FROM staged x {join}
    WHERE NOT EXISTS (SELECT 1 FROM signals o WHERE o.digest = x.digest)
    ORDER BY 1  -- in key order: the primary key's pages fill one after another (measured: 31 s -> 19 s a million)
    RETURNING s.digest, s.id_number, s.signal, s.amount_fen, s.observed_on, s.grade, s.household_id, s.row_no
)
INSERT INTO pg_temp.discovery_fresh SELECT * FROM inserted
"""
_INSERT_LEADS = """
INSERT INTO leads (lead_id, household_id, person_id_number, member_id_numbers, region_code, rules, as_of, bills_from)
SELECT r.lead_id, r.household_id, r.person_id_number, r.member_id_numbers, r.region_code, x.rules::jsonb, r.as_of,
       r.bills_from
FROM unnest($1::text[], $2::text[]) AS x(household_id, rules) JOIN pg_temp.discovery_raise r USING (household_id)
ON CONFLICT DO NOTHING
RETURNING lead_id, household_id, region_code, cardinality(member_id_numbers) AS members, raised_at
"""
SKIPS = ("open_lead", "recipient", "application_in_progress", "no_living_member")


@dataclass
class Loaded:
    """What one batch did (counts only)."""
    staged: int = 0
    loaded: int = 0      # new signals (the rest were duplicates)
    unknown: int = 0     # new signals of people the registries do not know: kept, counted, never a lead
    leads: int = 0
    skipped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SKIPS, 0))

    @property
    def duplicates(self) -> int:
        return self.staged - self.loaded

    def add(self, other: "Loaded") -> None:
        self.staged, self.loaded, self.unknown = self.staged + other.staged, self.loaded + other.loaded, self.unknown + other.unknown
        self.leads += other.leads
        for reason, count in other.skipped.items():
            self.skipped[reason] = self.skipped.get(reason, 0) + count


async def stage(conn: asyncpg.Connection) -> None:
    await conn.execute(_STAGE)


async def copy_table(conn: asyncpg.Connection, rows: pa.Table) -> None:
    """The good rows (signal_file.STAGED) into the staging table, written as CSV by Arrow: no Python per row."""
    if rows.num_rows == 0:
        return
    buffer = io.BytesIO()
    pa_csv.write_csv(rows.select(list(STAGED.names)), buffer, pa_csv.WriteOptions(include_header=False))
    buffer.seek(0)
    await conn.copy_to_table("discovery_stage", schema_name="pg_temp", source=buffer, format="csv",
                             columns=list(STAGED.names))


async def copy_records(conn: asyncpg.Connection, records: Iterable[tuple]) -> None:
    """A few rows (an API batch): (row_no, id_number, signal, amount_fen, observed_on, source, grade)."""
    await conn.copy_records_to_table("discovery_stage", schema_name="pg_temp", columns=list(STAGED.names),
                                     records=records)


async def load_staged(conn: asyncpg.Connection, params: rules.Params) -> Loaded:
    """The staged rows: new signals in (deduped by digest), the rules over the households they touch, the leads
    raised with their events in the outbox. Returns the counts."""
    registries = await _exists(conn, "registries.persons")
    join = "LEFT JOIN registries.persons p ON p.id_number = x.id_number" if registries else ""
    await conn.execute(_LOCK)
    await conn.execute("ANALYZE pg_temp.discovery_stage")  # temporary tables are never analysed by autovacuum
    await conn.execute(_LOAD.format(digest=_DIGEST, household="p.household_id" if registries else "NULL", join=join))
    await conn.execute("ANALYZE pg_temp.discovery_fresh")
    done = Loaded()
    done.staged = await conn.fetchval("SELECT count(*) FROM pg_temp.discovery_stage")
    done.loaded, done.unknown = await conn.fetchrow(
        "SELECT count(*), count(*) FILTER (WHERE household_id IS NULL) FROM pg_temp.discovery_fresh")
    if registries and done.loaded > done.unknown:
        await _raise_leads(conn, params, done)
    await conn.execute("DROP TABLE IF EXISTS pg_temp.discovery_stage")
    return done


async def _exists(conn: asyncpg.Connection, table: str) -> bool:
    return await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table)


async def _raise_leads(conn: asyncpg.Connection, params: rules.Params, done: Loaded) -> None:
    await conn.execute(rules.MEMBERS)
    await conn.execute(rules.FIRED_TABLE)
    await conn.execute(rules.FIRED, params.as_of, params.window_from, params.share_pct, params.drop_pct,
                       params.max_grade, params.death_min_fen)
    applying = rules.APPLYING if await _exists(conn, "intake.applications") else \
        "SELECT NULL::text AS household_id WHERE false"
    recipients = rules.RECIPIENTS if await _exists(conn, "caseload.recipients") else \
        "SELECT NULL::text AS household_id, NULL::text AS status WHERE false"
    await conn.execute(f"DROP TABLE IF EXISTS pg_temp.discovery_applying;"
                       f" CREATE TEMP TABLE discovery_applying ON COMMIT DROP AS {applying};"
                       f" DROP TABLE IF EXISTS pg_temp.discovery_recipients;"
                       f" CREATE TEMP TABLE discovery_recipients ON COMMIT DROP AS {recipients}")
    await conn.execute("ANALYZE pg_temp.discovery_fired; ANALYZE pg_temp.discovery_applying;"
                       " ANALYZE pg_temp.discovery_recipients")
    await conn.execute(rules.RAISE_TABLE)
    await conn.execute(rules.RAISE, params.as_of, params.window_from, [r for r, _ in params.covered],
                       [s for _, s in params.covered])
    for reason, count in await conn.fetch(
            "SELECT skipped, count(*) FROM pg_temp.discovery_raise WHERE skipped IS NOT NULL GROUP BY skipped"):
        done.skipped[reason] = count
    cursor = await conn.cursor("SELECT household_id, fired FROM pg_temp.discovery_raise WHERE skipped IS NULL"
                               " ORDER BY household_id")
    while chunk := await cursor.fetch(LEADS_CHUNK):
        done.leads += await _insert_leads(conn, chunk, params)


def lead_rules(fired: list[dict], params: rules.Params) -> tuple[LeadRule, ...]:
    """The fired rules in words, in the rules' order (medical spending first, a report last)."""
    ordered = sorted(fired, key=lambda f: figures.ORDER.index(f["rule"]))
    return tuple(figures.rule_of(f, params) for f in ordered)


async def _insert_leads(conn: asyncpg.Connection, chunk, params: rules.Params) -> int:
    words = {row["household_id"]: lead_rules(json.loads(row["fired"]), params) for row in chunk}
    texts = [json.dumps([r.model_dump() for r in words[h]], ensure_ascii=False) for h in words]
    raised = await conn.fetch(_INSERT_LEADS, list(words), texts)
    await outbox.insert(conn, [_raised_row(row, words[row["household_id"]]) for row in raised])
    return len(raised)


def _raised_row(row, lead_rules: tuple[LeadRule, ...]) -> tuple:
    data = LeadRaised(lead_id=row["lead_id"], rules=lead_rules, region_code=row["region_code"], members=row["members"],
                      raised_at=row["raised_at"])
    return outbox.row(LEAD_RAISED, new_envelope(RAISED, row["lead_id"], PRODUCER, data), data)


async def record_import(conn: asyncpg.Connection, origin: str, params: rules.Params, done: Loaded) -> None:
    await conn.execute(
        "INSERT INTO imports(origin, as_of, policy, staged, loaded, duplicates, unknown, leads, skipped)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        origin, params.as_of, params.policy_version, done.staged, done.loaded, done.duplicates, done.unknown, done.leads,
        json.dumps(done.skipped))


async def close_lead(conn: asyncpg.Connection, lead_id: uuid.UUID, given: bool,
                     application_id: uuid.UUID | None) -> LeadClosed | None:
    """Close an open lead with the household's answer; None when unknown or closed already (nothing changes)."""
    outcome = LeadOutcome.application if given else LeadOutcome.consent_refused
    closed_at: datetime | None = await conn.fetchval(
        "UPDATE leads SET status = 'closed', outcome = $2, application_id = $3, closed_at = now()"
        " WHERE lead_id = $1 AND status = 'open' RETURNING closed_at",
        lead_id, outcome.value, application_id if given else None)
    if closed_at is None:
        return None
    return LeadClosed(lead_id=lead_id, outcome=outcome, application_id=application_id if given else None,
                      closed_at=closed_at)

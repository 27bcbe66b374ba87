"""The registries' table of people: look them up, and load records set-based.

Loading (`load`) is the one way records get in, for a file of a million lines and for a batch
posted through the API alike: the rows are copied into a temporary table, then one
INSERT ... SELECT upserts them. Within the rows the highest line number wins; against the
table the rows win; a person whose facts did not change is not rewritten (recorded_at kept).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import AsyncIterable, Iterable, Sequence

import asyncpg

from contracts.registry import RegistryRecord

FACTS = ("household_id", "hukou_region", "alive", "disability_grade", "monthly_income_fen", "financial_assets_fen",
         "vehicles")
COLUMNS = ("id_number", *FACTS)
STAGED = ("line", *COLUMNS)  # a staged row: (line, id_number, household_id, ..., vehicles)
STAGING = "registry_staging"

_STAGE = f"""
DROP TABLE IF EXISTS pg_temp.{STAGING};
CREATE TEMP TABLE {STAGING} (
    line int, id_number text COLLATE "C", household_id text, hukou_region text, alive boolean, disability_grade smallint,
    monthly_income_fen bigint, financial_assets_fen bigint, vehicles int
) ON COMMIT DROP
"""
_facts = ", ".join(FACTS)
# `latest` is referenced twice, so it is computed once: the people count comes with the upsert.
_UPSERT = f"""
WITH latest AS MATERIALIZED (
    SELECT DISTINCT ON (id_number) {", ".join(COLUMNS)} FROM pg_temp.{STAGING} ORDER BY id_number, line DESC
), upserted AS (
    INSERT INTO persons AS p ({", ".join(COLUMNS)}, recorded_at)
    SELECT {", ".join(COLUMNS)}, now() FROM latest
    ON CONFLICT (id_number) DO UPDATE SET {", ".join(f"{c} = excluded.{c}" for c in FACTS)}, recorded_at = excluded.recorded_at
    WHERE ({", ".join(f"p.{c}" for c in FACTS)}) IS DISTINCT FROM ({", ".join(f"excluded.{c}" for c in FACTS)})
    RETURNING (p.xmax = 0) AS inserted
)
SELECT (SELECT count(*) FROM latest) AS people,
       count(*) FILTER (WHERE inserted) AS inserted,
       count(*) FILTER (WHERE NOT inserted) AS replaced
FROM upserted
"""
_LOOKUP = ("SELECT id_number, hukou_region, alive, disability_grade, monthly_income_fen, financial_assets_fen, vehicles,"
           " recorded_at FROM persons WHERE id_number = ANY($1::text[])")


@dataclass(frozen=True)
class Loaded:
    people: int    # distinct people among the rows
    inserted: int  # new to the table
    replaced: int  # known, with different facts

    @property
    def unchanged(self) -> int:
        return self.people - self.inserted - self.replaced


def staged_row(line: int, record: RegistryRecord) -> tuple:
    return (line, record.id_number, record.household_id, record.hukou_region, record.alive, record.disability_grade,
            record.monthly_income_fen, record.financial_assets_fen, record.vehicles)


async def load(conn: asyncpg.Connection, rows: Iterable[tuple] | AsyncIterable[tuple]) -> Loaded:
    """Upsert rows (see STAGED); call inside a transaction."""
    await stage(conn, rows)
    return await upsert_staged(conn)


async def stage(conn: asyncpg.Connection, rows: Iterable[tuple] | AsyncIterable[tuple]) -> None:
    """Copy rows into this transaction's staging table; `rows` is consumed as the database takes it in,
    so a generator that parses a file streams it."""
    await conn.execute(_STAGE)
    await conn.copy_records_to_table(STAGING, schema_name="pg_temp", columns=STAGED, records=rows)


async def upsert_staged(conn: asyncpg.Connection) -> Loaded:
    """The one set-based statement: the staged rows into persons, then the staging table is gone."""
    counts = await conn.fetchrow(_UPSERT)
    await conn.execute(f"DROP TABLE pg_temp.{STAGING}")  # a second load in the same transaction starts afresh
    return Loaded(counts["people"], counts["inserted"], counts["replaced"])


async def people(conn: asyncpg.Connection, id_numbers: Sequence[str]) -> dict[str, asyncpg.Record]:
    """The rows of those of `id_numbers` the table holds, by ID number."""
    return {row["id_number"]: row for row in await conn.fetch(_LOOKUP, sorted(set(id_numbers)))}


async def log_answers(conn: asyncpg.Connection, answers: list[tuple]) -> None:
    """(application_id, asked, known, answered_at) rows in one statement."""
    await conn.execute("INSERT INTO answers(application_id, asked, known, answered_at)"
                       " SELECT * FROM unnest($1::uuid[], $2::int[], $3::int[], $4::timestamptz[])",
                       *(list(column) for column in zip(*answers)))

"""`python -m jointaid.bench_signals -n 1000000`: time `jointaid monitor import` of N signals against the raw COPY rate.

One run:
1. start an embedded PostgreSQL in a temporary dir and load the registries (households of 1-4 people, COPYed in:
   setting the scene, not timed);
2. write a CSV of N signals mixing the five kinds over those people (signal_line), 5% of strangers, 1% sent twice,
   a few bad rows; and the same rows as Parquet;
3. import the CSV end to end (read, check, stage, load, rules, leads and their events, commit): signals/s, leads;
4. import the same CSV again, then the Parquet of the same rows: every signal a duplicate, 0 leads;
5. COPY the same CSV, unchecked, into a bare table (text columns, no key): the machine's ceiling;
6. print the figures, stop the database, remove the dir (unless --keep).

A benchmark: it prints, it asserts nothing. No ID number is printed.
"""
from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from jointaid.bench_registry import id_number
from jointaid.embedded import EmbeddedPostgres, ensure_runtime_dir
from services.discovery import bulk
from services.discovery.store import MIGRATIONS as DISCOVERY_MIGRATIONS
from services.kit.db import migrate
from services.registries.main import MIGRATIONS as REGISTRY_MIGRATIONS

AS_OF = date(2026, 11, 30)
UNKNOWN_EVERY = 20       # 5% of the signals name someone the registries do not know
REPEAT_EVERY = 100       # 1% are a row sent again (a duplicate)
BAD_EVERY = 100_000      # a few bad rows, one kind after another
BAD_ROWS = ("110105198001011234,report,,2026-11-01,hotline,",      # check digit
            "{id},income_drop,,2026-11-01,tax,",                      # amount missing
            "{id},lottery,1,2026-11-01,tax,")                         # unknown signal
# (a row with a field short is refused as well, tests/unit/test_signal_columns.py; left out here so that the raw
# COPY takes the same file)
STRANGERS = 10_000_000   # serials of people the registries do not hold
HEADER = "id_number,signal,amount_fen,observed_on,source,grade\n"
PARQUET_TYPES = {"id_number": pa.string(), "signal": pa.string(), "amount_fen": pa.int64(), "observed_on": pa.date32(),
                 "source": pa.string(), "grade": pa.int8()}  # typed, as a department's Parquet would be


# ---- the scene (pure apart from writing) -------------------------------------------------------

def registry_rows(people: int):
    """(id_number, household_id, hukou_region, alive, disability_grade, monthly_income_fen, assets, vehicles):
    households of 1 + (h % 4) people, incomes 0-6,000 yuan a month."""
    serial = household = 0
    while serial < people:
        for _ in range(1 + household % 4):
            yield (id_number(serial), f"h-{household}", "610630", True, 3 if serial % 50 == 0 else None,
                   income_of(serial), 0, 0)
            serial += 1
        household += 1


def income_of(serial: int) -> int:
    return (serial * 7919) % 600_000


def signal_line(k: int, people: int) -> str:
    """Signal k (REPEAT_EVERY-th: signal k - 1 again): 62% medical bills (mostly small, every 40th a large one), 30%
    new incomes (0-39% below the registry's), 5% disability assessments (every 5th grade 1-2), 2% deaths, 1% reports."""
    if k % REPEAT_EVERY == 0:
        k -= 1
    serial = STRANGERS + k if k % UNKNOWN_EVERY == 0 else (k * 104_729 + k // people) % people
    kind = k % 100
    day = (AS_OF - timedelta(days=(k * 37) % 120)).isoformat()
    who = id_number(serial)
    if kind < 62:
        amount = (k * 7_919) % (5_000_000 if k % 40 == 0 else 200_000)
        return f"{who},medical_spending,{amount},{day},medical_insurance,\n"
    if kind < 92:
        return f"{who},income_drop,{income_of(serial) * (61 + k % 40) // 100},{day},tax,\n"
    if kind < 97:
        return f"{who},disability,,{day},disability_federation,{1 + k % 2 if k % 5 == 0 else 3 + k % 2}\n"
    if kind < 99:
        return f"{who},death,,{day},population,\n"
    return f"{who},report,,{day},hotline_12345,\n"


def write_signals(path: Path, n: int, people: int) -> int:
    """N signal rows and a bad one every BAD_EVERY; the number of bad rows."""
    bad = 0
    with open(path, "w", buffering=1 << 20) as out:
        out.write(HEADER)
        for k in range(1, n + 1):
            out.write(signal_line(k, people))
            if k % BAD_EVERY == 0:
                out.write(BAD_ROWS[bad % len(BAD_ROWS)].format(id=id_number(k % people)) + "\n")
                bad += 1
    return bad


# ---- measuring ------------------------------------------------------------------------------------

async def load_registries(database_url: str, people: int) -> None:
    await migrate(database_url, "registries", (REGISTRY_MIGRATIONS,))
    await migrate(database_url, bulk.SCHEMA, (DISCOVERY_MIGRATIONS,))
    conn = await asyncpg.connect(database_url)
    try:
        await conn.copy_records_to_table("persons", schema_name="registries", records=registry_rows(people),
                                         columns=("id_number", "household_id", "hukou_region", "alive",
                                                  "disability_grade", "monthly_income_fen", "financial_assets_fen",
                                                  "vehicles"))
        await conn.execute("ANALYZE registries.persons")
    finally:
        await conn.close()


async def raw_copy(database_url: str, path: Path) -> float:
    """Seconds to COPY the same file, unchecked, into a bare table of text columns."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("CREATE SCHEMA IF NOT EXISTS bench; DROP TABLE IF EXISTS bench.raw_signals;"
                           "CREATE TABLE bench.raw_signals (id_number text, signal text, amount_fen text,"
                           " observed_on text, source text, grade text)")
        started = time.perf_counter()
        async with conn.transaction():
            await conn.copy_to_table("raw_signals", schema_name="bench", source=path, format="csv", header=True)
        return time.perf_counter() - started
    finally:
        await conn.close()


async def measure(database_url: str, csv_path: Path, parquet_path: Path) -> dict:
    progress = lambda text: print(f"bench: {text}", flush=True)  # noqa: E731
    first = await bulk.import_file(database_url, csv_path, as_of=AS_OF, progress=progress)
    print("bench: importing the same file again", flush=True)
    again = await bulk.import_file(database_url, csv_path, as_of=AS_OF)
    print("bench: importing the same rows as Parquet", flush=True)
    parquet = await bulk.import_file(database_url, parquet_path, as_of=AS_OF)
    print("bench: raw COPY of the same file", flush=True)
    return {"first": first, "again": again, "parquet": parquet, "copy_seconds": await raw_copy(database_url, csv_path)}


def summary(report: dict, people: int) -> str:
    first, again, parquet = report["first"], report["again"], report["parquet"]
    rate, copy_rate = first.read / first.seconds, first.read / report["copy_seconds"]
    done = first.loaded
    return "\n".join([
        f"jointaid signals bench: {first.read:,} rows ({first.refused} bad) over {people:,} registry people",
        f"  import     : {first.seconds:,.1f} s, {rate:,.0f} signals/s end to end (read, check, stage, load, rules, "
        f"leads, events, commit)",
        f"               loaded {done.loaded:,} (unknown people {done.unknown:,}), duplicates {done.duplicates:,}, "
        f"refused {first.refused}; leads raised {done.leads:,}; no lead: open lead {done.skipped['open_lead']:,}, "
        f"recipient {done.skipped['recipient']:,}, application {done.skipped['application_in_progress']:,}",
        f"  re-import  : {again.seconds:,.1f} s, {again.read / again.seconds:,.0f} signals/s; duplicates "
        f"{again.loaded.duplicates:,}, leads raised {again.loaded.leads}",
        f"  as Parquet : {parquet.seconds:,.1f} s, {parquet.read / parquet.seconds:,.0f} signals/s; duplicates "
        f"{parquet.loaded.duplicates:,}, leads raised {parquet.loaded.leads}",
        f"  raw COPY   : {report['copy_seconds']:,.1f} s, {copy_rate:,.0f} rows/s (same file, bare table, no checks)",
        f"  ratio      : import at {rate / copy_rate:.0%} of the raw COPY rate",
    ])


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m jointaid.bench_signals",
        description="Load a registry, write N monitoring signals (five kinds, 5%% strangers, a few bad rows), import "
        "them with `jointaid monitor import`'s code, again (0 leads), as Parquet (0 leads), and compare with a raw "
        "COPY of the same file.")
    p.add_argument("-n", "--n", type=int, default=1_000_000, help="signals to write (default: 1000000)")
    p.add_argument("--people", type=int, default=600_000, help="people in the registries (default: 600000)")
    p.add_argument("--keep", action="store_true", help="keep the temporary dir (files and database) afterwards")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="jointaid-bench-signals-"))
    database = None
    try:
        ensure_runtime_dir()
        database = EmbeddedPostgres(work / "pg").start()
        started = time.perf_counter()
        asyncio.run(load_registries(database.url, args.people))
        print(f"bench: registries hold {args.people:,} people ({time.perf_counter() - started:.1f} s)", flush=True)
        csv_path, parquet_path = work / "signals.csv", work / "signals.parquet"
        started = time.perf_counter()
        bad = write_signals(csv_path, args.n, args.people)
        pq.write_table(pa_csv.read_csv(csv_path, parse_options=pa_csv.ParseOptions(
            invalid_row_handler=lambda row: "skip"), convert_options=pa_csv.ConvertOptions(column_types=PARQUET_TYPES)),
            parquet_path)
        print(f"bench: wrote {args.n + bad:,} rows ({csv_path.stat().st_size / 1e6:,.0f} MB CSV, "
              f"{parquet_path.stat().st_size / 1e6:,.0f} MB Parquet) in {time.perf_counter() - started:.1f} s", flush=True)
        report = asyncio.run(measure(database.url, csv_path, parquet_path))
        print("\n" + summary(report, args.people), flush=True)
        return 0
    except KeyboardInterrupt:
        print("bench: interrupted", flush=True)
        return 130
    finally:
        if database:
            database.stop()
        if args.keep:
            print(f"bench: kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

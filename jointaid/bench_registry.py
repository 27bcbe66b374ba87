"""`python -m jointaid.bench_registry`: time `jointaid registry import` of N people against the raw COPY rate.

One run:
1. write a JSONL file of N lines: valid people (GB 11643 ID numbers with the right check digit), every
   REPEAT_EVERY-th line a later line of an earlier person (other income), a few bad lines;
2. start an embedded PostgreSQL in a temporary dir and apply the registries' migrations;
3. import the file end to end (read, validate, stage, upsert, commit) and report lines/s;
4. import it again: nothing changes, every person is unchanged;
5. COPY the same rows, unvalidated, into a bare table (no key, no constraint): the machine's ceiling;
6. print the figures and the ratio, stop the database, remove the dir (unless --keep).

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
from typing import Iterator

import asyncpg

from contracts.idnumber import check_digit
from jointaid.embedded import EmbeddedPostgres, ensure_runtime_dir
from services.kit.db import migrate
from services.registries import bulk, store
from services.registries.main import MIGRATIONS

REGIONS = ("610630", "610602", "330106", "110101", "440305")
FIRST_BIRTH = date(1935, 1, 1)
REPEAT_EVERY = 100   # 1% of lines repeat an earlier person (the later line wins)
BAD_EVERY = 100_000  # and a few are bad, one kind after another
BAD_LINES = (
    b'{"id_number": "61063019800101001',                            # malformed JSON
    b'{"id_number": "610630198001010010", "household_id": "h"}',    # bad check digit (and fields missing)
    b'{"unexpected": 1}',                                            # unknown field
)


# ---- the file (pure apart from writing it) --------------------------------------------------

def id_number(serial: int) -> str:
    """A distinct valid ID number per serial: region by serial, birth day serial // 5000, sequence serial % 1000."""
    born = FIRST_BIRTH + timedelta(days=serial // 5000)
    first17 = f"{REGIONS[serial % len(REGIONS)]}{born:%Y%m%d}{serial // 5 % 1000:03d}"
    return first17 + check_digit(first17)


def person(serial: int, income_fen: int) -> tuple:
    """A staged row (store.STAGED without the line) of one person."""
    grade = (serial % 4) + 1 if serial % 37 == 0 else None
    return (id_number(serial), f"h-{serial // 3}", REGIONS[serial % len(REGIONS)], serial % 211 != 0, grade,
            income_fen, (serial * 7919) % 5_000_000, serial % 3 // 2)


def people(n: int) -> Iterator[tuple]:
    """N lines' worth of people: fresh ones, with every REPEAT_EVERY-th an earlier person again (income changed)."""
    fresh = 0
    for line in range(1, n + 1):
        if line % REPEAT_EVERY == 0 and fresh:
            yield person(fresh // 2, 123_400 + line % 1000)
        else:
            yield person(fresh, (fresh * 131) % 800_000)
            fresh += 1


def json_line(row: tuple) -> bytes:
    grade = "null" if row[4] is None else row[4]
    return (f'{{"id_number": "{row[0]}", "household_id": "{row[1]}", "hukou_region": "{row[2]}", '
            f'"alive": {"true" if row[3] else "false"}, "disability_grade": {grade}, "monthly_income_fen": {row[5]}, '
            f'"financial_assets_fen": {row[6]}, "vehicles": {row[7]}}}\n').encode()


def write_file(path: Path, n: int) -> int:
    """N good lines plus a bad one every BAD_EVERY lines; the number of bad lines."""
    bad = 0
    with open(path, "wb", buffering=1 << 20) as out:
        for line, row in enumerate(people(n), 1):
            out.write(json_line(row))
            if line % BAD_EVERY == 0:
                out.write(BAD_LINES[bad % len(BAD_LINES)] + b"\n")
                bad += 1
    return bad


# ---- measuring -------------------------------------------------------------------------------

async def raw_copy(database_url: str, n: int) -> float:
    """Seconds to COPY the same N rows, unvalidated, into a bare table (rows built before the clock starts)."""
    rows = [(line, *row) for line, row in enumerate(people(n), 1)]
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("CREATE SCHEMA IF NOT EXISTS bench; DROP TABLE IF EXISTS bench.raw_copy;"
                           "CREATE TABLE bench.raw_copy (line int, id_number text, household_id text, hukou_region text,"
                           " alive boolean, disability_grade smallint, monthly_income_fen bigint,"
                           " financial_assets_fen bigint, vehicles int)")
        started = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table("raw_copy", schema_name="bench", columns=store.STAGED, records=rows)
        return time.perf_counter() - started
    finally:
        await conn.close()


async def measure(database_url: str, path: Path, n: int) -> dict:
    await migrate(database_url, bulk.SCHEMA, (MIGRATIONS,))
    first = await bulk.import_file(database_url, path, progress=lambda text: print(f"bench: {text}", flush=True))
    print("bench: importing the same file again", flush=True)
    again = await bulk.import_file(database_url, path)
    print("bench: raw COPY of the same rows", flush=True)
    copy_seconds = await raw_copy(database_url, n)
    return {"n": n, "first": first, "again": again, "copy_seconds": copy_seconds}


def summary(report: dict) -> str:
    first, again, n = report["first"], report["again"], report["n"]
    import_rate, copy_rate = first.read / first.seconds, n / report["copy_seconds"]
    counts = first.as_json()
    return "\n".join([
        f"jointaid registry bench: {first.read:,} lines ({n:,} people's lines and {first.refused} bad)",
        f"  import     : {first.seconds:,.1f} s, {import_rate:,.0f} lines/s end to end (read, validate, stage, "
        f"upsert, commit); inserted {counts['inserted']:,}, superseded {counts['superseded']:,}, "
        f"refused {counts['refused']}",
        f"  re-import  : {again.seconds:,.1f} s, {again.read / again.seconds:,.0f} lines/s; "
        f"unchanged {again.loaded.unchanged:,}, inserted {again.loaded.inserted}, replaced {again.loaded.replaced}",
        f"  raw COPY   : {report['copy_seconds']:,.1f} s, {copy_rate:,.0f} rows/s (same rows, bare table, no validation)",
        f"  ratio      : import at {import_rate / copy_rate:.0%} of the raw COPY rate",
    ])


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m jointaid.bench_registry",
        description="Write N registry lines (valid ID numbers, 1%% repeated people, a few bad lines), import them into "
        "an embedded PostgreSQL with `jointaid registry import`'s code, import them again (nothing changes), and "
        "compare with a raw COPY of the same rows into a bare table.")
    p.add_argument("-n", "--n", type=int, default=1_000_000, help="people's lines to write (default: 1000000)")
    p.add_argument("--keep", action="store_true", help="keep the temporary dir (file and database) afterwards")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="jointaid-bench-registry-"))
    database = None
    try:
        path = work / "people.jsonl"
        started = time.perf_counter()
        bad = write_file(path, args.n)
        print(f"bench: wrote {args.n + bad:,} lines ({path.stat().st_size / 1e6:,.0f} MB) in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        ensure_runtime_dir()
        database = EmbeddedPostgres(work / "pg").start()
        report = asyncio.run(measure(database.url, path, args.n))
        print("\n" + summary(report), flush=True)
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

"""`python -m jointaid.bench_caseload`: time `jointaid caseload import` of N households against the raw COPY rate.

One run:
1. write a JSONL file of N lines: households of four shapes (mla of 2, extreme_poverty of 1 with a care level,
   low_income of 3, mla of 4; valid GB 11643 ID numbers), every REPEAT_EVERY-th line a later line of an earlier
   household (other income), a few bad lines;
2. start an embedded PostgreSQL in a temporary dir, apply the caseload's and registries' migrations, and load
   the registries with every KNOWN_EVERY-th household's members (so the registry lookup has something to find);
3. import the file end to end (read, validate, registries, facts and amounts, stage, upsert, history, outbox,
   commit) and report lines/s;
4. import it again: nothing changes, every household is unchanged, no event;
5. COPY the same staged rows, built before the clock starts, into a bare table (no key, no constraint): the ceiling;
6. print the figures and the ratio, stop the database, remove the dir (unless --keep).

A benchmark: it prints, it asserts nothing. No ID number or name is printed.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Iterator

import asyncpg

from contracts.application import SHANGHAI
from contracts.caseload import read_line
from contracts.registry import Refusal
from jointaid.bench_registry import id_number
from jointaid.embedded import EmbeddedPostgres, ensure_runtime_dir
from services.caseload import bulk, import_store
from services.caseload.imported import terms_of
from services.kit.db import migrate
from services.kit.policy import policy_on
from services.registries import store as registry_store
from services.registries.main import MIGRATIONS as REGISTRY_MIGRATIONS

REGION = "610630"
MEMBERS_AT_MOST = 4  # ID serials per household: household h's members are serials 4h .. 4h+3
REPEAT_EVERY = 100   # 1% of lines repeat an earlier household (the later line wins)
KNOWN_EVERY = 3      # the registries know every third household's members
BAD_EVERY = 10_000   # and a few lines are bad, one kind after another
BAD_LINES = (
    b'{"applicant_id_number": "61063019800101001',                                 # malformed JSON
    b'{"applicant_id_number": "610630198001010010", "members": []}',               # bad check digit (and more)
    b'{"unexpected": 1}',                                                           # unknown field
)
# (status, relations, monthly income per member in fen, care level of the first member)
SHAPES = (
    ("mla", ("self", "spouse"), (30_000, 30_000), None),            # 855 x 2 - 600 = 1,110 yuan
    ("extreme_poverty", ("self",), (0,), "semi_disabled"),           # 1,120 + 370 = 1,490 yuan
    ("low_income", ("self", "spouse", "child"), (60_000, 50_000, 0), None),  # no cash
    ("mla", ("self", "spouse", "child", "parent"), (80_000, 40_000, 0, 0), None),
)
NAMES = ("Zhang Wei", "Wang Fang", "Li Na", "Liu Yang")


# ---- the file (pure apart from writing it) --------------------------------------------------

def household(serial: int, income_shift_fen: int = 0, enrolled_on: date = date(2025, 6, 1)) -> dict:
    """One valid caseload line (as a dict) for household `serial`; income_shift_fen changes the applicant's income."""
    status, relations, incomes, care = SHAPES[serial % len(SHAPES)]
    ids = [id_number(serial * MEMBERS_AT_MOST + k) for k in range(len(relations))]
    members = [{"id_number": ids[k], "name": NAMES[k], "relation": relations[k],
                "monthly_income_fen": incomes[k] + (income_shift_fen if k == 0 else 0)} for k in range(len(relations))]
    if care:
        members[0]["care_level"] = care
    return {"applicant_id_number": ids[0], "members": members, "status": status, "enrolled_on": enrolled_on.isoformat(),
            "region_code": REGION, "payout_account": {"kind": "social_security_card", "number": f"6217{serial:012d}"}}


def households(n: int) -> Iterator[dict]:
    """N lines' worth of households: fresh ones, every REPEAT_EVERY-th an earlier household again (income changed)."""
    fresh = 0
    for line in range(1, n + 1):
        if line % REPEAT_EVERY == 0 and fresh:
            yield household(fresh // 2, income_shift_fen=1_000 + line % 100)
        else:
            yield household(fresh)
            fresh += 1


def write_file(path: Path, n: int) -> int:
    """N good lines plus a bad one every BAD_EVERY lines; the number of bad lines."""
    bad = 0
    with open(path, "wb", buffering=1 << 20) as out:
        for line, row in enumerate(households(n), 1):
            out.write(json.dumps(row, ensure_ascii=False).encode() + b"\n")
            if line % BAD_EVERY == 0:
                out.write(BAD_LINES[bad % len(BAD_LINES)] + b"\n")
                bad += 1
    return bad


def registry_rows(n: int) -> Iterator[tuple]:
    """The registries' rows (registries.store.STAGED) of every KNOWN_EVERY-th household's members, as the line says."""
    line = 0
    for serial in range(0, n, KNOWN_EVERY):
        for member in household(serial)["members"]:
            line += 1
            yield (line, member["id_number"], f"h-{serial}", REGION, True, None, member["monthly_income_fen"], 0, 0)


# ---- measuring -------------------------------------------------------------------------------

async def load_registries(database_url: str, n: int) -> int:
    await migrate(database_url, "registries", (REGISTRY_MIGRATIONS,))
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "registries"})
    try:
        async with conn.transaction():
            return (await registry_store.load(conn, registry_rows(n))).people
    finally:
        await conn.close()


def staged_rows(path: Path) -> list[tuple]:
    """The rows the import stages for the file's good lines, built outside the clock (the registries left out)."""
    today, now = datetime.now(SHANGHAI).date(), {"now": datetime.now(SHANGHAI)}
    policy, rows = policy_on(today), []
    with open(path, "rb") as lines:
        for number, raw in enumerate(lines, 1):
            parsed = read_line(raw, number, now)
            if not isinstance(parsed, Refusal):
                rows.append(import_store.staged_row(number, terms_of(parsed, {}, today, policy)))
    return rows


async def raw_copy(database_url: str, rows: list[tuple]) -> float:
    """Seconds to COPY the staged rows, unvalidated, into a bare table."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("CREATE SCHEMA IF NOT EXISTS bench; DROP TABLE IF EXISTS bench.raw_copy;"
                           "CREATE TABLE bench.raw_copy (line int, recipient_id uuid, applicant_id_number text,"
                           " status text, monthly_amount_fen bigint, members text, facts text, counted int,"
                           " region_code text, payout_kind text, payout_number text, enrolled_on date,"
                           " next_review_on date, first_period text, reason text, reason_zh text, import_digest text)")
        started = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table("raw_copy", schema_name="bench", columns=import_store.STAGED, records=rows)
        return time.perf_counter() - started
    finally:
        await conn.close()


async def outbox_count(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetchval("SELECT count(*) FROM caseload.outbox")
    finally:
        await conn.close()


async def measure(database_url: str, path: Path, n: int) -> dict:
    known = await load_registries(database_url, n)
    first = await bulk.import_file(database_url, path, progress=lambda text: print(f"bench: {text}", flush=True))
    events = await outbox_count(database_url)
    print("bench: importing the same file again", flush=True)
    again = await bulk.import_file(database_url, path)
    events_again = await outbox_count(database_url) - events
    print("bench: raw COPY of the same rows", flush=True)
    rows = staged_rows(path)
    copy_seconds = await raw_copy(database_url, rows)
    return {"n": n, "known": known, "first": first, "again": again, "events": events, "events_again": events_again,
            "rows": len(rows), "copy_seconds": copy_seconds}


def summary(report: dict) -> str:
    first, again = report["first"], report["again"]
    import_rate, copy_rate = first.read / first.seconds, report["rows"] / report["copy_seconds"]
    counts = first.as_json()
    return "\n".join([
        f"jointaid caseload bench: {first.read:,} lines ({report['n']:,} households' lines and {first.refused} bad); "
        f"the registries know {report['known']:,} of the members",
        f"  import     : {first.seconds:,.1f} s, {import_rate:,.0f} lines/s end to end (read, validate, registries, "
        f"facts and amounts, stage, upsert, history, outbox, commit); new {counts['new']:,}, superseded "
        f"{counts['superseded']:,}, refused {counts['refused']}, zero amount {counts['zero_amount']}, "
        f"events {report['events']:,}",
        f"  re-import  : {again.seconds:,.1f} s, {again.read / again.seconds:,.0f} lines/s; unchanged "
        f"{again.loaded.unchanged:,}, new {again.loaded.inserted}, updated {again.loaded.updated}, "
        f"events {report['events_again']}",
        f"  raw COPY   : {report['copy_seconds']:,.2f} s, {copy_rate:,.0f} rows/s (the same staged rows, bare table, "
        f"no validation)",
        f"  ratio      : import at {import_rate / copy_rate:.1%} of the raw COPY rate",
    ])


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m jointaid.bench_caseload",
        description="Write N caseload lines (four household shapes, 1%% repeated households, a few bad lines), load "
        "the registries with a third of the members, import the lines into an embedded PostgreSQL with `jointaid "
        "caseload import`'s code, import them again (nothing changes), and compare with a raw COPY of the same rows.")
    p.add_argument("-n", "--n", type=int, default=100_000, help="households' lines to write (default: 100000)")
    p.add_argument("--keep", action="store_true", help="keep the temporary dir (file and database) afterwards")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="jointaid-bench-caseload-"))
    database = None
    try:
        path = work / "caseload.jsonl"
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

"""Signal files and registry households for the tests of `jointaid monitor import` (integration, e2e, unit)."""
from __future__ import annotations

import itertools
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tests.caseload_lines import fresh_id

HEADER = ("id_number", "signal", "amount_fen", "observed_on", "source", "grade")
_households = itertools.count(1)


def signal(id_number: str, kind: str, amount_fen: int | None = None, observed_on: str = "2026-11-20",
           source: str = "medical_insurance", grade: int | None = None) -> dict:
    return {"id_number": id_number, "signal": kind, "amount_fen": amount_fen, "observed_on": observed_on,
            "source": source, "grade": grade}


def csv_text(rows: list[dict | str]) -> str:
    """A CSV with the header; a str row is written as it is (a bad line)."""
    out = [",".join(HEADER)]
    for row in rows:
        out.append(row if isinstance(row, str) else ",".join("" if row.get(c) is None else str(row[c]) for c in HEADER))
    return "\n".join(out) + "\n"


def write_csv(path: Path, rows: list[dict | str]) -> Path:
    path.write_text(csv_text(rows), encoding="utf-8")
    return path


def write_parquet(path: Path, rows: list[dict]) -> Path:
    """Typed columns, as a department's Parquet would have them: integers, dates."""
    from datetime import date

    table = pa.table({
        "id_number": pa.array([r["id_number"] for r in rows], pa.string()),
        "signal": pa.array([r["signal"] for r in rows], pa.string()),
        "amount_fen": pa.array([r.get("amount_fen") for r in rows], pa.int64()),
        "observed_on": pa.array([date.fromisoformat(r["observed_on"]) for r in rows], pa.date32()),
        "source": pa.array([r["source"] for r in rows], pa.string()),
        "grade": pa.array([r.get("grade") for r in rows], pa.int8()),
    })
    pq.write_table(table, path)
    return path


def household_people(incomes: tuple[int, ...], *, region: str = "150000", alive: tuple[bool, ...] | None = None,
                     grades: tuple[int | None, ...] | None = None) -> tuple[str, list[tuple]]:
    """(household_id, registries.persons rows) of a new household: one row per income."""
    household_id = f"lead-test-{next(_households)}"
    rows = []
    for k, income in enumerate(incomes):
        rows.append((fresh_id(region), household_id, "610630", True if alive is None else alive[k],
                     None if grades is None else grades[k], income, 0, 0))
    return household_id, rows


PERSON_COLUMNS = ("id_number", "household_id", "hukou_region", "alive", "disability_grade", "monthly_income_fen",
                  "financial_assets_fen", "vehicles")


async def add_people(conn, rows: list[tuple]) -> None:
    await conn.executemany(
        f"INSERT INTO registries.persons ({', '.join(PERSON_COLUMNS)}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", rows)

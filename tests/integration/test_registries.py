"""The registries service against a real PostgreSQL: bulk import, its refusals, re-imports, and its handlers."""
from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import uuid
from datetime import date, timedelta

import asyncpg
import pytest

from contracts.envelope import new_envelope
from contracts.events import RegistryQuery, RegistryRecordsSubmitted
from contracts.idnumber import check_digit
from services.kit.consumer import Tx
from services.kit.db import migrate
from services.registries import bulk, handlers
from services.registries.main import MIGRATIONS
from tests.conftest import ROOT
from tests.integration.conftest import eventually, running

_serials = itertools.count()


def fresh_id(check: str | None = None) -> str:
    """A valid ID number no other test uses (region 120000, one birth day per call); `check`: wanted check character."""
    while True:
        born = date(1950, 1, 1) + timedelta(days=next(_serials))
        for sequence in range(1000):
            first17 = f"120000{born:%Y%m%d}{sequence:03d}"
            if check is None or check_digit(first17) == check:
                return first17 + check_digit(first17)


def person(id_number: str, **changes) -> dict:
    return {"id_number": id_number, "household_id": "h-1", "hukou_region": "120000", "alive": True,
            "disability_grade": None, "monthly_income_fen": 180_000, "financial_assets_fen": 500_000, "vehicles": 0,
            **changes}


def line(record: dict) -> str:
    return json.dumps(record)


def write(path, *lines: str):
    path.write_text("".join(f"{text}\n" for text in lines))
    return path


def wrong_check(id_number: str) -> str:
    return id_number[:17] + ("1" if id_number[17] != "1" else "2")


@pytest.fixture(scope="module")
async def database_url(postgres) -> str:
    await migrate(postgres.url, "registries", (MIGRATIONS,))
    return postgres.url


@pytest.fixture
async def conn(database_url):
    connection = await asyncpg.connect(database_url, server_settings={"search_path": "registries"})
    yield connection
    await connection.close()


async def rows_of(conn, ids: list[str]) -> dict[str, dict]:
    """Each person's row with its version (xmin): a rewrite shows even when the values are the same."""
    found = await conn.fetch("SELECT *, xmin::text AS version FROM persons WHERE id_number = ANY($1::text[])", ids)
    return {r["id_number"]: dict(r) for r in found}


async def test_bad_lines_are_refused_by_number_and_rule_and_the_rest_is_loaded(database_url, conn, tmp_path):
    a, b, c, d = fresh_id(), fresh_id(), fresh_id(), fresh_id()
    file = write(
        tmp_path / "people.jsonl",
        line(person(a, monthly_income_fen=100_000)),            # 1
        line(person(b, disability_grade=2)),                     # 2
        "",                                                      # 3 blank: skipped
        '{"id_number": "' + c + '", "household_id": ',           # 4 bad JSON
        line(person(c, nickname="Lao Li")),                      # 5 unknown field
        line(person(wrong_check(d))),                            # 6 bad check digit
        line(person(d, monthly_income_fen=-1)),                  # 7 negative income
        line({k: v for k, v in person(d).items() if k != "vehicles"}),  # 8 missing field
        line(person(a, monthly_income_fen=260_000)),             # 9 the same person again: this line wins
    )
    summary = await bulk.import_file(database_url, file)

    refused = [(r.line, r.rule) for r in summary.refusals]
    assert refused[0][0] == 4 and refused[0][1].startswith("malformed JSON: ")
    assert refused[1:] == [
        (5, "nickname: unknown field: not part of a registry record"),
        (6, "id_number: ID number check digit is wrong (GB 11643)"),
        (7, "monthly_income_fen: money cannot be negative"),
        (8, "vehicles: required field is missing"),
    ]
    assert (summary.read, summary.refused, summary.superseded) == (8, 5, 1)
    assert (summary.loaded.inserted, summary.loaded.replaced, summary.loaded.unchanged) == (2, 0, 0)
    rows = await rows_of(conn, [a, b, c, d])
    assert set(rows) == {a, b}
    assert rows[a]["monthly_income_fen"] == 260_000 and rows[b]["disability_grade"] == 2
    assert all(c not in r.rule and d not in r.rule for r in summary.refusals)  # rules never carry the ID number


async def test_the_same_file_again_changes_nothing(database_url, conn, tmp_path):
    ids = [fresh_id() for _ in range(3)]
    file = write(tmp_path / "people.jsonl", *(line(person(i)) for i in ids), line(person(ids[0], vehicles=1)))
    first = await bulk.import_file(database_url, file)
    before = await rows_of(conn, ids)
    again = await bulk.import_file(database_url, file)
    assert (first.loaded.inserted, first.superseded) == (3, 1)
    assert (again.loaded.inserted, again.loaded.replaced, again.loaded.unchanged, again.superseded) == (0, 0, 3, 1)
    assert await rows_of(conn, ids) == before  # same values, same recorded_at, same row versions: nothing rewritten


async def test_a_changed_line_replaces_the_person_and_only_that_one(database_url, conn, tmp_path):
    kept, moved = fresh_id(), fresh_id()
    await bulk.import_file(database_url, write(tmp_path / "first.jsonl", line(person(kept)), line(person(moved))))
    before = await rows_of(conn, [kept, moved])
    summary = await bulk.import_file(database_url, write(tmp_path / "second.jsonl", line(person(kept)),
                                                         line(person(moved, hukou_region="330106", alive=False))))
    after = await rows_of(conn, [kept, moved])
    assert (summary.loaded.inserted, summary.loaded.replaced, summary.loaded.unchanged) == (0, 1, 1)
    assert after[kept] == before[kept]
    assert (after[moved]["hukou_region"], after[moved]["alive"]) == ("330106", False)
    assert after[moved]["recorded_at"] > before[moved]["recorded_at"]


async def test_a_file_that_fails_midway_loads_nothing(database_url, conn):
    good = fresh_id()

    def lines():
        yield line(person(good)).encode()
        raise OSError(5, "Input/output error")

    with pytest.raises(bulk.UnreadableFile):
        await bulk.import_lines(database_url, lines())
    assert await rows_of(conn, [good]) == {}


async def test_the_query_is_answered_in_the_asked_order_known_or_not(database_url, conn, tmp_path):
    known, with_x, unknown = fresh_id(), fresh_id(check="X"), fresh_id()
    await bulk.import_file(database_url, write(tmp_path / "people.jsonl", line(person(known, vehicles=2)),
                                               line(person(with_x, alive=False, disability_grade=1))))
    application_id = uuid.uuid4()
    asked = (unknown, with_x.lower(), known)  # a lowercase x is the same person
    transaction = conn.transaction()
    await transaction.start()
    try:
        await handlers.on_query(Tx(conn, "registries", application_id), _Event(application_id),
                                RegistryQuery(id_numbers=asked))
        payload = await conn.fetchval("SELECT payload FROM outbox WHERE application_id = $1", application_id)
        logged = await conn.fetchrow("SELECT asked, known FROM answers WHERE application_id = $1", application_id)
    finally:
        await transaction.rollback()  # nothing leaks to a later test that runs the service with its relay
    event = json.loads(bytes(payload))
    people = event["data"]["people"]
    assert event["event_type"] == "aid.registry.answered.v1" and event["producer"] == "registries"
    assert [p["id_number"] for p in people] == list(asked)
    assert [p["known"] for p in people] == [False, True, True]
    assert people[0] == {"id_number": unknown, "known": False, "hukou_region": None, "alive": None,
                         "disability_grade": None, "monthly_income_fen": None, "financial_assets_fen": None,
                         "vehicles": None, "recorded_at": None}
    assert (people[1]["alive"], people[1]["disability_grade"]) == (False, 1)
    assert (people[2]["vehicles"], people[2]["monthly_income_fen"], people[2]["recorded_at"] is not None) == (2, 180_000, True)
    assert tuple(logged) == (3, 2)


async def test_records_from_the_api_are_loaded_like_a_file(database_url, conn):
    someone, other = fresh_id(), fresh_id()
    batch = RegistryRecordsSubmitted(records=(person(someone), person(other), person(someone, monthly_income_fen=0)))
    async with conn.transaction():
        tx = Tx(conn, "registries", uuid.uuid4())
        await handlers.on_records(tx, _Event(tx.application_id), batch)
        await handlers.on_records(tx, _Event(tx.application_id), batch)  # two events of one consumer batch, one transaction
    rows = await rows_of(conn, [someone, other])
    assert set(rows) == {someone, other} and rows[someone]["monthly_income_fen"] == 0


async def test_the_running_service_takes_records_from_the_broker(settings, publish, conn):
    first, second = fresh_id(), fresh_id()
    async with running("registries", settings):
        for record in (person(first), person(second, vehicles=3)):  # one event after the other, on pooled connections
            await publish(new_envelope("aid.registry.records.v1", uuid.uuid4(), "intake",
                                       RegistryRecordsSubmitted(records=(record,))))
        rows = await eventually(lambda: _both(conn, first, second))
    assert rows[second]["vehicles"] == 3


async def _both(conn, *ids):
    rows = await rows_of(conn, list(ids))
    return rows if len(rows) == len(ids) else None


def run_import(*args: str, database_url: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jointaid.cli", "registry", "import", *args], cwd=ROOT,
                          env={**os.environ, "DATABASE_URL": database_url}, capture_output=True, text=True, timeout=120)


def test_the_command_line_prints_the_summary_and_never_an_id_number(database_url, tmp_path):
    good, bad = fresh_id(), fresh_id()
    file = write(tmp_path / "people.jsonl", line(person(good)), line(person(wrong_check(bad))))
    result = run_import(str(file), database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert "inserted   1 person new to the registries" in result.stdout
    assert "refused    1 line" in result.stdout
    assert "line 2: id_number: ID number check digit is wrong (GB 11643)" in result.stdout
    assert good not in result.stdout + result.stderr and bad[:17] not in result.stdout + result.stderr

    again = run_import(str(file), "--json", database_url=database_url)
    summary = json.loads(again.stdout)
    assert again.returncode == 0
    assert (summary["read"], summary["unchanged"], summary["inserted"], summary["refused"]) == (2, 1, 0, 1)
    assert summary["refusals"] == [{"line": 2, "field": "id_number", "message": "ID number check digit is wrong (GB 11643)"}]


def test_the_command_line_refuses_a_missing_file(database_url, tmp_path):
    result = run_import(str(tmp_path / "nowhere.jsonl"), database_url=database_url)
    assert result.returncode == 2
    assert "cannot read" in result.stderr and "nothing was loaded" in result.stderr


class _Event:
    """The part of an envelope the handlers read."""

    def __init__(self, application_id):
        self.application_id = application_id

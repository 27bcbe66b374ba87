"""Registry lines (`jointaid registry import`): each line's verdict, the summary's arithmetic, the bench's file."""
from __future__ import annotations

import json
from datetime import datetime

from contracts.application import SHANGHAI
from contracts.idnumber import check_digit
from contracts.registry import RegistryRecord
from jointaid import bench_registry
from services.registries import bulk, store

NOW = {"now": datetime(2026, 11, 20, 9, 30, tzinfo=SHANGHAI)}


def with_check(first17: str) -> str:
    return first17 + check_digit(first17)


GOOD = {"id_number": with_check("61063019800101001"), "household_id": "h-1", "hukou_region": "610630", "alive": True,
        "disability_grade": None, "monthly_income_fen": 250_000, "financial_assets_fen": 0, "vehicles": 0}


def verdict(record) -> tuple | bulk.Refusal:
    raw = record if isinstance(record, bytes) else json.dumps(record).encode()
    return bulk.parse_line(raw, 7, NOW)


def rule(record) -> str:
    refusal = verdict(record)
    assert isinstance(refusal, bulk.Refusal) and refusal.line == 7
    return refusal.rule


def test_a_good_line_becomes_a_staged_row_with_the_id_number_normalised():
    x_id = next(with_check(f"61063019800101{n:03d}") for n in range(1000) if check_digit(f"61063019800101{n:03d}") == "X")
    row = verdict({**GOOD, "id_number": x_id.lower()})
    assert row == (7, x_id, "h-1", "610630", True, None, 250_000, 0, 0)
    assert len(row) == len(store.STAGED)


def test_each_rule_is_named_by_its_field_without_the_value():
    assert rule(b'{"id_number": "6106').startswith("malformed JSON: EOF while parsing a string at column ")
    assert rule(b"[1, 2]") == "a line must be one JSON object ({...})"
    assert rule({**GOOD, "name": "Li"}) == "name: unknown field: not part of a registry record"
    assert rule({**GOOD, GOOD["id_number"]: 1}) == "a field that is not part of a registry record (its name is not shown)"
    assert rule({**GOOD, "id_number": GOOD["id_number"][:17] + "0"}) == "id_number: ID number check digit is wrong (GB 11643)"
    assert rule({**GOOD, "id_number": with_check("61063020300101001")}) == "id_number: ID number contains a birth date in the future"
    assert rule({**GOOD, "monthly_income_fen": -1}) == "monthly_income_fen: money cannot be negative"
    assert rule({**GOOD, "financial_assets_fen": 1.5}).startswith("financial_assets_fen: money must be a whole number")
    assert rule({**GOOD, "disability_grade": 5}) == "disability_grade: disability grade must be 1, 2, 3 or 4"
    assert rule({**GOOD, "alive": "yes"}) == "alive: must be true or false"
    assert rule({k: v for k, v in GOOD.items() if k != "household_id"}) == "household_id: required field is missing"


def test_blank_lines_are_skipped_but_keep_the_numbering():
    lines = [bulk.BOM + json.dumps(GOOD).encode() + b"\n", b"\n", b"  \r\n", b"{}\n"]
    staged = bulk.StagedLines(lines, NOW["now"])
    rows = list(staged)
    assert [r[0] for r in rows] == [1]
    assert staged.read == 2 and [r.line for r in staged.refusals] == [4]


def summary(refused: int, **loaded) -> bulk.Summary:
    counts = store.Loaded(**{"people": 5, "inserted": 2, "replaced": 1, **loaded})
    refusals = tuple(bulk.Refusal(n, "vehicles", "must be a whole number") for n in range(1, refused + 1))
    return bulk.Summary("people.jsonl", read=counts.people + 3 + refused, refusals=refusals, loaded=counts, seconds=2.0)


def test_the_summary_adds_up_and_shows_the_first_refusals():
    s = summary(refused=25)
    assert (s.loaded.unchanged, s.superseded) == (2, 3)
    figures = s.as_json()
    assert figures["read"] == sum(figures[k] for k in ("inserted", "replaced", "unchanged", "superseded", "refused"))
    assert len(figures["refusals"]) == 25
    text = bulk.summary_text(s)
    assert "    line 20: vehicles: must be a whole number" in text and "line 21:" not in text
    assert text.endswith("... and 5 more (--json lists every one)")


def test_the_bench_file_is_what_it_says(tmp_path):
    path = tmp_path / "people.jsonl"
    bad = bench_registry.write_file(path, 300)
    lines = path.read_bytes().splitlines()
    records = [RegistryRecord.model_validate_json(line) for line in lines]
    assert bad == 0 and len(records) == 300
    ids = [r.id_number for r in records]
    assert len(set(ids)) == 300 - 300 // bench_registry.REPEAT_EVERY  # every 100th line is an earlier person again
    assert all(isinstance(verdict(line), bulk.Refusal) for line in bench_registry.BAD_LINES)

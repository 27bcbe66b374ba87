"""Caseload lines (`jointaid caseload import`): each line's verdict names its line and rule, the summary's arithmetic."""
from __future__ import annotations

import json
from datetime import datetime

from contracts.application import SHANGHAI
from contracts.caseload import CaseloadLine, read_line
from contracts.registry import Refusal
from jointaid import bench_caseload
from services.caseload import bulk
from tests.caseload_lines import fresh_id, household, jsonl

NOW = {"now": datetime(2026, 12, 3, 9, 30, tzinfo=SHANGHAI)}
GOOD = household("mla", (30_000, 30_000))


def rule(line, number: int = 7) -> str:
    raw = line if isinstance(line, bytes) else json.dumps(line).encode()
    refusal = read_line(raw, number, NOW)
    assert isinstance(refusal, Refusal) and refusal.line == number, refusal
    return refusal.rule


def with_member(index: int, **changes) -> dict:
    members = [dict(m) for m in GOOD["members"]]
    members[index].update(changes)
    return {**GOOD, "members": members}


def test_a_good_line_is_the_household_with_id_numbers_normalised():
    x_id = next(i for i in (fresh_id() for _ in range(1000)) if i.endswith("X"))
    line = read_line(json.dumps({**with_member(0, id_number=x_id.lower()), "applicant_id_number": x_id.lower()}).encode(),
                     1, NOW)
    assert isinstance(line, CaseloadLine)
    assert line.applicant_id_number == line.members[0].id_number == x_id
    assert line.status.value == "mla" and line.enrolled_on.isoformat() == "2025-06-01"


def test_each_rule_is_named_by_its_field_without_the_value():
    assert rule(b'{"applicant_id_number": "6106').startswith("malformed JSON: EOF while parsing a string at column ")
    assert rule(b"[1, 2]") == "a line must be one JSON object ({...})"
    assert rule({**GOOD, "monthly_amount_fen": 111_000}) == "monthly_amount_fen: unknown field: not part of a caseload line"
    assert rule(with_member(1, diagnoses=[])) == "members.1.diagnoses: unknown field: not part of a caseload line"
    assert rule({**GOOD, "status": "none"}) == "status: unknown value: must be one of 'extreme_poverty', 'mla' or 'low_income'"
    assert rule({**GOOD, "status": "exited"}).startswith("status: unknown value")
    assert rule({**GOOD, "applicant_id_number": fresh_id()}) == "applicant_id_number: applicant is not among the household members"
    assert rule(with_member(0, relation="spouse")) == "members.0.relation: the applicant's own entry must have relation 'self'"
    assert rule(with_member(1, relation="self")).startswith("members.1.relation: relation 'self' is only for the applicant")
    assert rule(with_member(1, id_number=GOOD["applicant_id_number"], relation="spouse")) == (
        "members.1.id_number: the same ID number is listed twice in the household")
    assert rule(with_member(1, id_number=GOOD["members"][1]["id_number"][:17] + "0")) == (
        "members.1.id_number: ID number check digit is wrong (GB 11643)")
    assert rule(with_member(1, monthly_income_fen=-1)) == "members.1.monthly_income_fen: money cannot be negative"
    assert rule(with_member(1, monthly_income_fen=1.5)).startswith("members.1.monthly_income_fen: money must be a whole number")
    assert rule({k: v for k, v in with_member(1).items()} | {"members": [GOOD["members"][0], {
        k: v for k, v in GOOD["members"][1].items() if k != "monthly_income_fen"}]}) == (
        "members.1.monthly_income_fen: required field is missing")
    assert rule(with_member(0, disability_grade=5)) == "members.0.disability_grade: disability grade must be 1, 2, 3 or 4"
    assert rule(with_member(0, care_level="bedridden")).startswith("members.0.care_level: unknown value")
    assert rule(with_member(0, name="")) == "members.0.name: must not be empty"
    assert rule({**GOOD, "members": []}) == "members: the household needs at least 1 member"
    assert rule({**GOOD, "enrolled_on": "2027-01-01"}) == "enrolled_on: a household cannot have been enrolled in the future"
    assert rule({**GOOD, "enrolled_on": "1/6/2025"}) == "enrolled_on: must be a date like 2026-11-20"
    assert rule({**GOOD, "enrolled_on": 20250601}) == "enrolled_on: must be a date like 2026-11-20"
    assert rule({**GOOD, "region_code": "61063"}) == "region_code: region code must be 6 digits"
    assert rule({**GOOD, "payout_account": {"kind": "cash", "number": "6217000011112222"}}).startswith(
        "payout_account.kind: unknown value")
    assert rule({**GOOD, "payout_account": {"kind": "bank_card", "number": "12"}}) == (
        "payout_account.number: account number must be 8 to 30 digits")
    assert rule({k: v for k, v in GOOD.items() if k != "payout_account"}) == "payout_account: required field is missing"


def test_no_refusal_carries_an_id_number_or_a_name():
    bad = with_member(1, id_number=GOOD["members"][1]["id_number"][:17] + "0", name="Wang Fang")
    refusal = read_line(json.dumps(bad).encode(), 3, NOW)
    assert GOOD["members"][1]["id_number"][:17] not in refusal.rule and "Wang" not in refusal.rule


def test_lines_come_in_chunks_with_blank_lines_skipped_and_the_numbering_kept():
    raw = (bulk.BOM + jsonl(GOOD, "", "  ", "{}", household("low_income", (0,)), household("mla", (0,)))).splitlines(keepends=True)
    source = bulk.Lines(raw + [b'{"applicant_id_number": \r\n'], NOW["now"])
    chunks = list(source.chunks(size=2))
    assert [[number for number, _ in chunk] for chunk in chunks] == [[1], [5, 6]]
    assert source.read == 5 and [r.line for r in source.refusals] == [4, 7]
    assert source.refusals[1].message.startswith("malformed JSON: EOF while parsing a value at column ")  # of its own line


def test_refusals_are_counted_by_rule_whichever_member_broke_it():
    first = Refusal(2, "members.0.id_number", "ID number check digit is wrong (GB 11643)")
    third = Refusal(9, "members.2.id_number", "ID number check digit is wrong (GB 11643)")
    whole = Refusal(5, None, "malformed JSON: EOF while parsing an object at column 1")
    summary = bulk.Summary("f.jsonl", 10, (first, whole, third), bulk.Loaded(6, 3, 1, 1), "xihu-2023.1", "2027-01", 2.0)
    assert summary.refused_by_rule() == {"members.id_number: ID number check digit is wrong (GB 11643)": 2,
                                         "malformed JSON: EOF while parsing an object": 1}
    # read = new + updated + unchanged + superseded + refused
    assert (summary.loaded.unchanged, summary.superseded) == (2, 1)
    assert 10 == 3 + 1 + summary.loaded.unchanged + summary.superseded + summary.refused
    text = bulk.summary_text(summary)
    for expected in ("new        3 households new to the caseload", "updated    1 household whose terms changed",
                     "unchanged  2 households", "superseded 1 line", "refused    3 lines",
                     "2 x members.id_number: ID number check digit is wrong", "line 9: members.2.id_number:",
                     "zero amount 1 household", "amounts under xihu-2023.1, runs pay from 2027-01"):
        assert expected in text, expected
    counted = summary.as_json()
    assert (counted["new"], counted["updated"], counted["unchanged"], counted["refused"], counted["zero_amount"]) == (3, 1, 2, 3, 1)
    assert [r["line"] for r in counted["refusals"]] == [2, 5, 9]


def test_the_bench_writes_valid_households_with_repeats_and_a_few_bad_lines(tmp_path):
    path = tmp_path / "caseload.jsonl"
    bad = bench_caseload.write_file(path, 20_000)
    lines = path.read_bytes().splitlines()
    verdicts = [read_line(raw, number, NOW) for number, raw in enumerate(lines, 1)]
    refused = [v for v in verdicts if isinstance(v, Refusal)]
    good = [v for v in verdicts if not isinstance(v, Refusal)]
    assert (len(lines), bad, len(refused)) == (20_002, 2, 2)
    assert len({v.applicant_id_number for v in good}) == 20_000 - 20_000 // bench_caseload.REPEAT_EVERY
    assert {v.status.value for v in good} == {"mla", "extreme_poverty", "low_income"}

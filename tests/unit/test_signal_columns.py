"""The column-wise checks of a signal file give SignalLine's verdict on every row, and its rule for a refused one."""
import json
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

from contracts.application import SHANGHAI
from contracts.idnumber import check_digit
from contracts.registry import Refusal
from contracts.signals import read_signal
from services.discovery import signal_file
from services.discovery.signal_file import UnreadableFile

NOW = datetime(2026, 11, 30, 12, tzinfo=SHANGHAI)
GOOD_ID = "11010519491231002" + check_digit("11010519491231002")
COLUMNS = ("id_number", "signal", "amount_fen", "observed_on", "source", "grade")


def table(*rows: dict) -> tuple[pa.Table, pa.Array]:
    return (pa.table({c: pa.array([r.get(c, "") for r in rows], pa.string()) for c in COLUMNS}),
            pa.array(range(2, len(rows) + 2), pa.int32()))


def verdict_of_contract(row: dict, number: int):
    body = {k: (int(v) if k in ("amount_fen", "grade") and v.lstrip("-").isdigit() else v)
            for k, v in row.items() if v != ""}  # a number written in digits is the number the JSON line would hold
    return read_signal(json.dumps(body).encode(), number, {"now": NOW})


def good(**fields) -> dict:
    return {"id_number": GOOD_ID, "signal": "medical_spending", "amount_fen": "1680000", "observed_on": "2026-11-01",
            "source": "medical_insurance", "grade": ""} | fields


EDGES = [
    good(), good(id_number=GOOD_ID[:17] + "x" if GOOD_ID[17] == "X" else GOOD_ID), good(id_number="110105198001011234"),
    good(id_number="11010519800230" + "0011"), good(id_number="1101051980010"), good(id_number="11010518991231001X"),
    good(id_number="110105" + "20270101" + "001" + check_digit("11010520270101001")),  # born in the future
    good(signal="lottery"), good(signal="report", amount_fen=""), good(signal="income_drop", amount_fen=""),
    good(amount_fen="-5"), good(amount_fen="12.5"), good(amount_fen="10000000001"), good(amount_fen="0"),
    good(observed_on="2026-11-30"), good(observed_on="2026-12-01"), good(observed_on="2026-02-30"),
    good(observed_on="2026/11/01"), good(observed_on="0000-01-01"), good(source="a b"), good(source="x" * 61),
    good(source=""), good(signal="disability", grade="2"), good(signal="disability", grade="0"),
    good(signal="disability", grade="5"), good(grade="x"),
]


@pytest.mark.parametrize("row", EDGES)
def test_each_edge_is_judged_as_the_contract_judges_it(row):
    checked = signal_file.check(*table(row), NOW)
    contract = verdict_of_contract(row, 2)
    if isinstance(contract, Refusal):
        assert checked.rows.num_rows == 0 and len(checked.refusals) == 1
        if row["observed_on"] != "2026/11/01":  # a form the file format refuses before the contract reads it
            assert checked.refusals[0] == contract
    else:
        assert checked.rows.num_rows == 1 and checked.refusals == []
        assert checked.rows.column("id_number")[0].as_py() == contract.id_number


@settings(max_examples=200, deadline=None)
@given(st.lists(st.fixed_dictionaries({
    "id_number": st.sampled_from([GOOD_ID, "110105198001011234", GOOD_ID[:17], "x"]),
    "signal": st.sampled_from(["medical_spending", "income_drop", "disability", "death", "report", "other"]),
    "amount_fen": st.sampled_from(["", "0", "1", "-1", "1.5", "99999999999", "abc"]),
    "observed_on": st.sampled_from(["2026-11-01", "2026-11-30", "2026-12-01", "2025-02-29", "2024-02-29"]),
    "source": st.sampled_from(["tax", "hotline_12345", "a b", ""]),
    "grade": st.sampled_from(["", "1", "4", "5", "0"]),
}), min_size=1, max_size=8))
def test_random_rows_get_the_contracts_verdict_and_their_row_numbers(rows):
    checked = signal_file.check(*table(*rows), NOW)
    refused = {r.line for r in checked.refusals}
    for number, row in enumerate(rows, 2):
        assert (number in refused) == isinstance(verdict_of_contract(row, number), Refusal)
    assert checked.rows.column("row_no").to_pylist() == [n for n in range(2, len(rows) + 2) if n not in refused]
    assert checked.read == len(rows)


def test_a_csv_with_blank_lines_a_short_line_and_a_bom(tmp_path: Path):
    path = tmp_path / "s.csv"
    path.write_bytes(("\ufeffid_number,signal,amount_fen,observed_on,source\n"
                      f"{GOOD_ID},report,,2026-11-01,hotline\n\n{GOOD_ID},report,,2026-11-01\n"
                      f"{GOOD_ID},death,,2026-11-02,population\n").encode())
    checked = signal_file.check(*signal_file.read_table(path), NOW)
    assert checked.read == 3 and checked.rows.column("row_no").to_pylist() == [2, 5]
    assert [(r.line, r.field) for r in checked.refusals] == [(4, None)]


def test_a_file_without_a_column_or_with_an_unknown_one_cannot_be_read(tmp_path: Path):
    (tmp_path / "a.csv").write_text("id_number,signal,observed_on,source\n")
    (tmp_path / "b.csv").write_text("id_number,signal,amount_fen,observed_on,source,name\n")
    with pytest.raises(UnreadableFile, match="missing column.*amount_fen"):
        signal_file.read_table(tmp_path / "a.csv")
    with pytest.raises(UnreadableFile, match="unknown column.*name"):
        signal_file.read_table(tmp_path / "b.csv")


def test_parquet_is_recognised_by_its_magic_bytes_and_a_float_amount_is_not_fen(tmp_path: Path):
    import pyarrow.parquet as pq

    path = tmp_path / "signals.data"  # no telling extension
    pq.write_table(pa.table({"id_number": [GOOD_ID, GOOD_ID], "signal": ["medical_spending"] * 2,
                             "amount_fen": pa.array([100.0, None]), "observed_on": [date(2026, 11, 1)] * 2,
                             "source": ["tax"] * 2}), path)
    assert signal_file.is_parquet(path)
    checked = signal_file.check(*signal_file.read_table(path), NOW)
    assert [(r.line, r.field) for r in checked.refusals] == [(1, "amount_fen"), (2, "amount_fen")]

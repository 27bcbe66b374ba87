"""A file of monitoring signals (CSV or Parquet, DESIGN.md "Leads") read with pyarrow and checked column-wise.

The checks are contracts.signals.SignalLine's rules written over whole columns (pyarrow compute), so a
million rows are judged without a model per row: a valid GB 11643 ID number (format, birth date, check
digit, not born in the future), a known signal, amount_fen a non-negative integer of fen below the ceiling
(required for medical_spending and income_drop), observed_on a date not in the future, source by its
pattern, grade 1-4. The few rows they refuse are then read by SignalLine itself, so a refusal names the
rule in the contract's words (tests/unit/test_signal_columns.py holds the two to the same verdicts).

Row numbers: a CSV's line number (the header is line 1, the first signal line 2, as an editor or a
spreadsheet shows it); a Parquet file's row, from 1. Blank lines are skipped and not counted.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from contracts.application import MAX_MONEY_FEN, SHANGHAI
from contracts.idnumber import CHECK_CHARS, EARLIEST_BIRTH, WEIGHTS
from contracts.registry import Refusal
from contracts.signals import NEEDS_AMOUNT, SignalKind, read_signal

COLUMNS = ("id_number", "signal", "amount_fen", "observed_on", "source")
OPTIONAL = ("grade",)
PARQUET_MAGIC = b"PAR1"
_SOURCE = r"^[0-9A-Za-z_.:-]{1,60}$"
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,40}")
# The table the loader stages (services/discovery/store.py copies it in as CSV).
STAGED = pa.schema([("row_no", pa.int32()), ("id_number", pa.string()), ("signal", pa.string()),
                    ("amount_fen", pa.int64()), ("observed_on", pa.date32()), ("source", pa.string()),
                    ("grade", pa.int16())])


class UnreadableFile(Exception):
    """The file cannot be read as a signal file (nothing is loaded)."""


@dataclass
class Checked:
    rows: pa.Table              # the good rows, as STAGED
    read: int                   # rows read (blank lines not counted)
    refusals: list[Refusal]     # by row number


def is_parquet(path: Path) -> bool:
    """By its magic bytes (a Parquet file starts with PAR1), else by its extension."""
    try:
        with open(path, "rb") as file:
            return file.read(4) == PARQUET_MAGIC
    except OSError as exc:
        raise UnreadableFile(exc.strerror or type(exc).__name__) from exc


def read_table(path: Path) -> tuple[pa.Table, pa.Array]:
    """The file's columns (strings, or Parquet's own types) and each row's number."""
    try:
        if is_parquet(path):
            table = pq.read_table(path)
            _check_columns(table.column_names)
            return table, pa.array(range(1, table.num_rows + 1), pa.int32())
        return _read_csv(path)
    except (pa.ArrowInvalid, pa.ArrowException, OSError) as exc:
        raise UnreadableFile(_arrow_reason(exc)) from exc


def _arrow_reason(exc: Exception) -> str:
    """Arrow's error without the row it quotes (it may hold personal data)."""
    text = str(exc).split("\n", 1)[0]
    return re.sub(r":\s*'.*$|Row #\d+.*$", "", text)[:200] or type(exc).__name__


def _read_csv(path: Path) -> tuple[pa.Table, pa.Array]:
    with open(path, "rb") as file:
        header = file.readline().removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")
    names = [name.strip().strip('"') for name in header.rstrip("\r\n").split(",")]
    _check_columns(names)
    bad_lines: list[int] = []

    def invalid(row) -> str:  # a line with too few or too many fields: refused by its line number
        bad_lines.append(row.number)
        return "skip"

    table = pa_csv.read_csv(
        path,
        read_options=pa_csv.ReadOptions(use_threads=False, block_size=1 << 24),  # line numbers are known one-threaded
        parse_options=pa_csv.ParseOptions(invalid_row_handler=invalid, ignore_empty_lines=False),
        convert_options=pa_csv.ConvertOptions(column_types={name: pa.string() for name in names},
                                              strings_can_be_null=False, quoted_strings_can_be_null=False))
    rows = table.num_rows + len(bad_lines)
    if bad_lines:
        skipped = set(bad_lines)
        numbers = pa.array([line for line in range(2, rows + 2) if line not in skipped], pa.int32())
    else:
        numbers = pa.array(range(2, rows + 2), pa.int32())
    table = table.append_column("__bad_fields", pa.array([False] * table.num_rows))
    if bad_lines:  # kept as rows of their own, refused by the field count
        extra = pa.table({name: pa.array([""] * len(bad_lines), pa.string()) for name in names}
                         | {"__bad_fields": pa.array([True] * len(bad_lines))})
        table = pa.concat_tables([table, extra])
        numbers = pa.concat_arrays([numbers, pa.array(bad_lines, pa.int32())])
    return table, numbers


def _check_columns(names: list[str]) -> None:
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise UnreadableFile(f"missing column(s) {', '.join(missing)}: the columns are {', '.join(COLUMNS)} "
                             f"and optionally grade")
    unknown = [n for n in names if n not in COLUMNS + OPTIONAL and n != "__bad_fields"]
    if unknown:
        shown = [n for n in unknown if _PLAIN.fullmatch(n)]
        raise UnreadableFile("unknown column(s)" + (f" {', '.join(shown)}" if shown else "") +
                             f": the columns are {', '.join(COLUMNS)} and optionally grade")


# ---- the column-wise checks -------------------------------------------------------------------

def _text(table: pa.Table, name: str) -> tuple[pa.Array, pa.Array | None]:
    """A column as strings ('' for missing), and the rows a non-integer number makes bad (Parquet floats)."""
    if name not in table.column_names:
        return pa.array([""] * table.num_rows, pa.string()), None
    column = table.column(name).combine_chunks()
    forced = None
    if pa.types.is_floating(column.type) or pa.types.is_decimal(column.type):
        forced = pc.fill_null(pc.is_valid(column), False)  # 100.0 is not an integer of fen, as in the contract
    if not pa.types.is_string(column.type):
        column = pc.cast(column, pa.string())
    return pc.fill_null(column, ""), forced


def _id_numbers(raw: pa.Array, today: date) -> tuple[pa.Array, pa.Array]:
    """(the ID numbers upper-cased, whether each is valid under contracts.idnumber and not born after today)."""
    ids = pc.utf8_upper(raw)
    shaped = pc.match_substring_regex(ids, r"^[0-9]{17}[0-9X]$")
    safe = pc.if_else(shaped, ids, "000000190001010000")  # fixed-width stand-ins: the byte arithmetic below
    born_text = pc.utf8_slice_codeunits(safe, 6, 14)
    born = pc.strptime(born_text, format="%Y%m%d", unit="s", error_is_null=True)
    real = pc.fill_null(pc.equal(pc.strftime(born, format="%Y%m%d"), born_text), False)  # 19800230 is no day
    born_day = pc.cast(born, pa.date32())
    in_range = pc.and_kleene(pc.greater_equal(born_day, pa.scalar(EARLIEST_BIRTH)), pc.less_equal(born_day, pa.scalar(today)))
    fixed = pc.cast(safe, pa.binary(18))  # every value is 18 ASCII bytes by now
    digits = pa.FixedSizeListArray.from_arrays(
        pa.Array.from_buffers(pa.uint8(), len(fixed) * 18, [None, fixed.buffers()[1]], offset=fixed.offset * 18), 18)
    total = pa.scalar(0, pa.int32())
    for position, weight in enumerate(WEIGHTS):
        digit = pc.subtract(pc.cast(pc.list_element(digits, position), pa.int32()), 48)
        total = pc.add(total, pc.multiply(digit, weight))
    remainder = pc.subtract(total, pc.multiply(pc.divide(total, 11), 11))  # integer division: total mod 11
    expected = pc.take(pa.array([ord(c) for c in CHECK_CHARS], pa.int32()), remainder)
    check = pc.equal(pc.cast(pc.list_element(digits, 17), pa.int32()), expected)
    return ids, pc.fill_null(pc.and_kleene(pc.and_kleene(shaped, real), pc.and_kleene(in_range, check)), False)


def _integers(text: pa.Array, ceiling: int) -> tuple[pa.Array, pa.Array]:
    """(the integers, null for ''; whether each row is '' or a whole number 0..ceiling)."""
    digits = pc.match_substring_regex(text, r"^[0-9]{1,18}$")
    values = pc.cast(pc.if_else(digits, text, pa.scalar(None, pa.string())), pa.int64())
    empty = pc.equal(text, "")
    good = pc.or_kleene(empty, pc.and_kleene(digits, pc.fill_null(pc.less_equal(values, ceiling), False)))
    return values, good


def _dates(text: pa.Array, today: date) -> tuple[pa.Array, pa.Array]:
    """(the dates; whether each is a real YYYY-MM-DD day, year 1 or later, not after today)."""
    shaped = pc.and_kleene(pc.match_substring_regex(text, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
                     pc.not_equal(pc.utf8_slice_codeunits(text, 0, 4), "0000"))
    parsed = pc.strptime(pc.if_else(shaped, text, "1970-01-01"), format="%Y-%m-%d", unit="s", error_is_null=True)
    real = pc.fill_null(pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), text), False)
    days = pc.cast(parsed, pa.date32())
    return days, pc.and_kleene(pc.and_kleene(shaped, real), pc.fill_null(pc.less_equal(days, pa.scalar(today)), False))


def check(table: pa.Table, numbers: pa.Array, now: datetime) -> Checked:
    """The good rows (STAGED) and the refusals, every rule applied column by column."""
    now = now.astimezone(SHANGHAI)
    today = now.date()
    raw = {name: _text(table, name) for name in COLUMNS + OPTIONAL}
    ids, ids_ok = _id_numbers(raw["id_number"][0], today)
    signal = raw["signal"][0]
    signal_ok = pc.is_in(signal, value_set=pa.array([k.value for k in SignalKind]))
    amount, amount_ok = _integers(raw["amount_fen"][0], MAX_MONEY_FEN)
    needs = pc.is_in(signal, value_set=pa.array([k.value for k in NEEDS_AMOUNT]))
    amount_ok = pc.and_kleene(amount_ok, pc.or_kleene(pc.invert(needs), pc.is_valid(amount)))
    observed, observed_ok = _dates(raw["observed_on"][0], today)
    source_ok = pc.match_substring_regex(raw["source"][0], _SOURCE)
    grade, grade_ok = _integers(raw["grade"][0], 4)
    grade_ok = pc.and_kleene(grade_ok, pc.or_kleene(pc.is_null(grade), pc.greater_equal(grade, 1)))
    good = pc.and_kleene(pc.and_kleene(pc.and_kleene(ids_ok, signal_ok), pc.and_kleene(amount_ok, observed_ok)), pc.and_kleene(source_ok, grade_ok))
    for name in ("amount_fen", "grade"):
        if raw[name][1] is not None:
            good = pc.and_kleene(good, pc.invert(raw[name][1]))
    blank = _blank(raw)
    if "__bad_fields" in table.column_names:
        fields_bad = table.column("__bad_fields").combine_chunks()
        good, blank = pc.and_kleene(good, pc.invert(fields_bad)), pc.and_kleene(blank, pc.invert(fields_bad))
    good = pc.fill_null(pc.and_kleene(good, pc.invert(blank)), False)
    rows = pa.table([numbers, ids, signal, amount, observed, raw["source"][0], pc.cast(grade, pa.int16())],
                    schema=STAGED).filter(good)
    bad = pc.and_kleene(pc.invert(good), pc.invert(blank))
    refusals = refusals_of(table.filter(bad), numbers.filter(bad), now)
    blanks = pc.sum(pc.cast(blank, pa.int64())).as_py() or 0
    return Checked(rows, len(table) - blanks, sorted(refusals, key=lambda r: r.line))


def _blank(raw: dict) -> pa.Array:
    """A blank line of a CSV: every field empty (skipped, not counted, as the JSON-lines imports skip them)."""
    blank = pa.array([True] * len(raw["id_number"][0]))
    for text, forced in raw.values():
        blank = pc.and_kleene(blank, pc.equal(text, ""))
    return blank


def refusals_of(bad: pa.Table, numbers: pa.Array, now: datetime) -> list[Refusal]:
    """Each refused row read by SignalLine: the contract names its rule (never its content)."""
    context = {"now": now}
    found = []
    for number, row in zip(numbers.to_pylist(), bad.to_pylist()):
        if row.get("__bad_fields"):
            found.append(Refusal(number, None, f"a row must have the file's {len(bad.column_names) - 1} fields"))
            continue
        refused = read_signal(json.dumps(_as_json(row)).encode(), number, context)
        if isinstance(refused, Refusal):
            found.append(refused)
        else:  # a form only the column checks refuse (e.g. a date written otherwise than YYYY-MM-DD)
            found.append(Refusal(number, None, "a field is not in the file format (dates as YYYY-MM-DD, integers in digits)"))
    return found


def _as_json(row: dict) -> dict:
    """The row as the JSON line it stands for: numbers as numbers where they are written as numbers."""
    body = {}
    for name, value in row.items():
        if name == "__bad_fields" or value is None or value == "":
            continue
        if name in ("amount_fen", "grade") and isinstance(value, str):
            value = _number(value)
        if isinstance(value, date):
            value = value.isoformat()
        body[name] = value
    return body


def _number(text: str):
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text

"""`jointaid caseload import FILE.jsonl`: one household a line (contracts.caseload.CaseloadLine), moved in at once.

What it guarantees:
- every line is validated by CaseloadLine; a refused line is reported by its number and rule (never its
  content: it holds personal data), and the other lines are loaded;
- each household's facts and amount come from its line, the registries and the rules (services.caseload.imported),
  the registries read for a chunk of lines in one query;
- one household per applicant (recipient_id from the applicant's ID number): within the file the last line of a
  household wins; a household whose terms are unchanged is not rewritten and gets no history row and no event, so a
  second import of the same file changes nothing; a new or changed one gets one 'imported' history row and one
  aid.recipient.changed event, written to caseload's outbox (the running caseload service's relay publishes it);
- the load is one transaction: a file that becomes unreadable midway, or a database that goes away, leaves the
  caseload as it was.
Blank lines are skipped and not counted; line numbers are the file's own (1 = the first line).
"""
from __future__ import annotations

import contextlib
import gc
import re
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator

import asyncpg

from contracts.application import SHANGHAI
from contracts.caseload import CaseloadLine, read_line
from contracts.registry import Refusal
from services.caseload import import_store
from services.caseload.amounts import next_period
from services.caseload.imported import Refused, Terms, terms_of
from services.caseload.main import MIGRATIONS
from services.kit.db import migrate
from services.kit.policy import Policy, policy_on

SCHEMA = "caseload"
CHUNK = 10_000  # lines parsed, looked up in the registries (one query) and copied at a time; also the progress step
SHOWN_REFUSALS = 20
BOM = b"\xef\xbb\xbf"
SESSION = {"search_path": SCHEMA, "application_name": "jointaid-caseload-import", "work_mem": "256MB",
           "temp_buffers": "256MB"}
_INDEX = re.compile(r"\.[0-9]+(?=\.|$)")
_COLUMN = re.compile(r" at column [0-9]+$")

Progress = Callable[[str], None]


class UnreadableFile(Exception):
    """The file could not be read to its end (nothing was loaded)."""


def rule_of(refusal: Refusal) -> str:
    """The rule a refusal names, without the member's position or the column of a JSON error: refusals are counted by it."""
    return f"{_INDEX.sub('', refusal.field)}: {refusal.message}" if refusal.field else _COLUMN.sub("", refusal.message)


class Lines:
    """A file's good lines in chunks of (line number, CaseloadLine); `read` and `refusals` fill in as it is consumed."""

    def __init__(self, lines: Iterable[bytes], now: datetime):
        self._lines = lines
        self._context = {"now": now}  # one "today" for the whole file (dates in the future)
        self.read = 0
        self.refusals: list[Refusal] = []

    def chunks(self, size: int = CHUNK) -> Iterator[list[tuple[int, CaseloadLine]]]:
        chunk: list[tuple[int, CaseloadLine]] = []
        try:
            for number, raw in enumerate(self._lines, 1):
                if number == 1 and raw.startswith(BOM):
                    raw = raw[len(BOM):]
                if not raw.strip():
                    continue
                self.read += 1
                parsed = read_line(raw.rstrip(b"\r\n"), number, self._context)  # JSON errors then say "column N" of this line
                if type(parsed) is Refusal:
                    self.refusals.append(parsed)
                else:
                    chunk.append((number, parsed))
                if self.read % size == 0:
                    yield chunk
                    chunk = []
        except OSError as exc:
            raise UnreadableFile(exc.strerror or type(exc).__name__) from exc
        if chunk:
            yield chunk


@dataclass(frozen=True)
class Loaded:
    households: int  # distinct households among the good lines
    inserted: int    # new to the caseload
    updated: int     # known, with different terms
    zero_amount: int  # households of a monthly status whose amount by the rules is 0 (loaded all the same)

    @property
    def unchanged(self) -> int:
        return self.households - self.inserted - self.updated


@dataclass(frozen=True)
class Summary:
    file: str
    read: int
    refusals: tuple[Refusal, ...]
    loaded: Loaded
    policy_version: str
    first_period: str
    seconds: float

    @property
    def refused(self) -> int:
        return len(self.refusals)

    @property
    def superseded(self) -> int:
        """Good lines replaced by a later line of the same household in the file."""
        return self.read - self.refused - self.loaded.households

    def refused_by_rule(self) -> dict[str, int]:
        return dict(Counter(rule_of(r) for r in self.refusals).most_common())

    def as_json(self) -> dict:
        return {"file": self.file, "read": self.read, "households": self.loaded.households,
                "new": self.loaded.inserted, "updated": self.loaded.updated, "unchanged": self.loaded.unchanged,
                "superseded": self.superseded, "refused": self.refused, "refused_by_rule": self.refused_by_rule(),
                "zero_amount": self.loaded.zero_amount, "policy_version": self.policy_version,
                "first_period": self.first_period, "seconds": round(self.seconds, 3),
                "refusals": [{"line": r.line, "field": r.field, "message": r.message} for r in self.refusals]}


def summary_text(summary: Summary, shown: int = SHOWN_REFUSALS) -> str:
    """The counts (read = new + updated + unchanged + superseded + refused), refusals by rule, the first refused lines."""
    loaded, rate = summary.loaded, summary.read / max(summary.seconds, 1e-9)
    counts = [
        ("read", f"{_count(summary.read, 'line')} in {summary.seconds:,.1f} s ({rate:,.0f} lines/s)"),
        ("new", f"{_count(loaded.inserted, 'household')} new to the caseload"),
        ("updated", f"{_count(loaded.updated, 'household')} whose terms changed"),
        ("unchanged", f"{_count(loaded.unchanged, 'household')} already in the caseload as the file says"),
        ("superseded", f"{_count(summary.superseded, 'line')} replaced by a later line of the same household"),
        ("refused", _count(summary.refused, "line") + (", by rule:" if summary.refused else "")),
    ]
    lines = [f"caseload import: {summary.file} (amounts under {summary.policy_version}, runs pay from "
             f"{summary.first_period})"] + [f"  {name:<10} {text}" for name, text in counts]
    lines += [f"    {count:>6} x {rule}" for rule, count in summary.refused_by_rule().items()]
    if summary.refusals:
        lines.append(f"  refused lines{' (the first ' + str(shown) + ')' if summary.refused > shown else ''}:")
    lines += [f"    line {r.line}: {r.rule}" for r in summary.refusals[:shown]]
    if summary.refused > shown:
        lines.append(f"    ... and {summary.refused - shown:,} more (--json lists every one)")
    if loaded.zero_amount:
        lines.append(f"  zero amount {_count(loaded.zero_amount, 'household')} of a monthly status whose amount by the "
                     f"rules is 0 (income at or above the standard): loaded, nothing to pay")
    return "\n".join(lines)


def _count(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def progress_line(read: int, seconds: float) -> str:
    return f"caseload import: {read:,} lines read ({read / max(seconds, 1e-9):,.0f} lines/s)"


async def import_lines(database_url: str, lines: Iterable[bytes], *, today: date | None = None,
                       progress: Progress | None = None) -> tuple[int, list[Refusal], Loaded, Policy, str]:
    """Validate and load `lines` in one transaction: (lines read, refusals, what the caseload took, the policy the
    amounts were computed under, the first period runs pay)."""
    await migrate(database_url, SCHEMA, (MIGRATIONS,))  # the import may come before the service first ran
    with collector_paused():
        return await _import(database_url, lines, today, progress)


@contextlib.contextmanager
def collector_paused():
    """The import makes millions of small objects (models, rows) and no cycles to speak of: the cyclic collector's
    passes over the growing heap took more than half of its time (measured: ~290 -> ~115 µs a line). Paused for
    the import only, then back on."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


async def _import(database_url: str, lines: Iterable[bytes], today: date | None,
                  progress: Progress | None) -> tuple[int, list[Refusal], Loaded, Policy, str]:
    now = datetime.now(SHANGHAI)
    today = today or now.date()
    policy = policy_on(today)
    source, last_of = Lines(lines, now), {}  # last_of: recipient_id -> its last good line's Terms.zero_amount
    started = time.perf_counter()
    conn = await asyncpg.connect(database_url, server_settings=SESSION)
    try:
        async with conn.transaction():
            await import_store.stage(conn)
            registries = await import_store.registries_present(conn)
            for chunk in source.chunks():
                people = await import_store.known_people(
                    conn, [m.id_number for _, line in chunk for m in line.members]) if registries else {}
                rows = []
                for number, line in chunk:
                    terms = _terms(number, line, people, today, policy, source.refusals)
                    if terms is not None:
                        rows.append(import_store.staged_row(number, terms))
                        last_of[terms.recipient_id] = terms.zero_amount
                await import_store.copy_staged(conn, rows)
                if progress and source.read % CHUNK == 0:
                    progress(progress_line(source.read, time.perf_counter() - started))
            if progress:
                progress(f"caseload import: {source.read:,} lines read; writing the caseload")
            inserted, updated = await import_store.upsert_staged(conn)
    finally:
        await conn.close()
    loaded = Loaded(len(last_of), inserted, updated, sum(last_of.values()))
    return source.read, sorted(source.refusals, key=lambda r: r.line), loaded, policy, next_period(today)


def _terms(number: int, line: CaseloadLine, people, today: date, policy: Policy, refusals: list[Refusal]) -> Terms | None:
    try:
        return terms_of(line, people, today, policy)
    except Refused as refused:  # the registries contradict the line (the applicant's death)
        refusals.append(Refusal(number, "applicant_id_number", refused.reason))
        return None


async def import_file(database_url: str, path: Path, *, today: date | None = None,
                      progress: Progress | None = None) -> Summary:
    """UnreadableFile when the file cannot be opened or read to its end (nothing is loaded then)."""
    started = time.perf_counter()
    with _opened(path) as file:
        read, refusals, loaded, policy, first_period = await import_lines(database_url, file, today=today,
                                                                          progress=progress)
    return Summary(str(path), read, tuple(refusals), loaded, policy.version, first_period, time.perf_counter() - started)


def _opened(path: Path) -> BinaryIO:
    try:
        return open(path, "rb", buffering=1 << 20)
    except OSError as exc:  # before any database work: a missing file is the caller's mistake, not a crash
        raise UnreadableFile(exc.strerror or type(exc).__name__) from exc

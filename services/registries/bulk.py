"""`jointaid registry import FILE.jsonl`: one person a line (contracts.registry.RegistryRecord), loaded at once.

What it guarantees:
- every line is validated by RegistryRecord itself; a refused line is reported by its number and the rule
  it breaks (never its content: it holds personal data), and the other lines are loaded;
- within the file the last line of a person wins, against the table the file wins, and a person whose
  facts are unchanged is not rewritten (so a second import of the same file changes nothing);
- the load is one transaction: a file that becomes unreadable midway, or a database that goes away,
  leaves the table as it was;
- the file is streamed: lines are parsed while the database copies the previous ones in (store.load),
  so one core parses while the other writes, and no more than one line is held as a model.
Blank lines are skipped and not counted; line numbers are the file's own (1 = the first line).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator

import asyncpg
from contracts.application import SHANGHAI
from contracts.registry import Refusal, read_record
from services.kit.db import migrate
from services.registries import store
from services.registries.main import MIGRATIONS

SCHEMA = "registries"
PROGRESS_EVERY = 100_000  # lines
SHOWN_REFUSALS = 20
BOM = b"\xef\xbb\xbf"
# A million rows sort in memory instead of spilling; staged rows stay in memory too (temp_buffers must be
# set before the session's first temporary table, hence here).
SESSION = {"search_path": SCHEMA, "application_name": "jointaid-registry-import", "work_mem": "256MB",
           "temp_buffers": "256MB"}

Progress = Callable[[str], None]


class UnreadableFile(Exception):
    """The file could not be read to its end (nothing was loaded)."""


def parse_line(raw: bytes, line: int, context: dict) -> tuple | Refusal:
    """A staged row (store.STAGED) for a good line, the Refusal for a bad one."""
    record = read_record(raw, line, context)
    return record if type(record) is Refusal else store.staged_row(line, record)


class StagedLines:
    """A file's good lines as staged rows, read once; `read` and `refusals` fill in as it is consumed."""

    def __init__(self, lines: Iterable[bytes], now: datetime, progress: Progress | None = None):
        self._lines = lines
        self._context = {"now": now}  # one "today" for the whole file (birth dates in the future)
        self._progress = progress
        self.read = 0
        self.refusals: list[Refusal] = []

    def __iter__(self) -> Iterator[tuple]:
        started = time.perf_counter()
        try:
            for number, raw in enumerate(self._lines, 1):
                if number == 1 and raw.startswith(BOM):
                    raw = raw[len(BOM):]
                if not raw.strip():
                    continue
                self.read += 1
                parsed = parse_line(raw, number, self._context)
                if type(parsed) is Refusal:
                    self.refusals.append(parsed)
                else:
                    yield parsed
                if self._progress and self.read % PROGRESS_EVERY == 0:
                    self._progress(progress_line(self.read, time.perf_counter() - started))
        except OSError as exc:
            raise UnreadableFile(exc.strerror or type(exc).__name__) from exc


def progress_line(read: int, seconds: float) -> str:
    return f"registry import: {read:,} lines read ({read / max(seconds, 1e-9):,.0f} lines/s)"


@dataclass(frozen=True)
class Summary:
    file: str
    read: int
    refusals: tuple[Refusal, ...]
    loaded: store.Loaded
    seconds: float

    @property
    def refused(self) -> int:
        return len(self.refusals)

    @property
    def superseded(self) -> int:
        """Good lines replaced by a later line of the same person in the file."""
        return self.read - self.refused - self.loaded.people

    def as_json(self) -> dict:
        return {"file": self.file, "read": self.read, "people": self.loaded.people, "inserted": self.loaded.inserted,
                "replaced": self.loaded.replaced, "unchanged": self.loaded.unchanged, "superseded": self.superseded,
                "refused": self.refused, "seconds": round(self.seconds, 3),
                "refusals": [{"line": r.line, "field": r.field, "message": r.message} for r in self.refusals]}


def summary_text(summary: Summary, shown: int = SHOWN_REFUSALS) -> str:
    """What a person reads at the end: the counts (read = inserted + replaced + unchanged + superseded + refused),
    then the first refused lines."""
    rate = summary.read / max(summary.seconds, 1e-9)
    counts = [
        ("read", f"{_lines(summary.read)} in {summary.seconds:,.1f} s ({rate:,.0f} lines/s)"),
        ("inserted", f"{_people(summary.loaded.inserted)} new to the registries"),
        ("replaced", f"{_people(summary.loaded.replaced)} whose facts changed"),
        ("unchanged", f"{_people(summary.loaded.unchanged)} already recorded as the file says"),
        ("superseded", f"{_lines(summary.superseded)} replaced by a later line of the same person"),
        ("refused", _lines(summary.refused)),
    ]
    lines = [f"registry import: {summary.file}"] + [f"  {name:<10} {text}" for name, text in counts]
    lines += [f"    line {r.line}: {r.rule}" for r in summary.refusals[:shown]]
    if summary.refused > shown:
        lines.append(f"    ... and {summary.refused - shown:,} more (--json lists every one)")
    return "\n".join(lines)


def _lines(count: int) -> str:
    return f"{count:,} line" if count == 1 else f"{count:,} lines"


def _people(count: int) -> str:
    return f"{count:,} person" if count == 1 else f"{count:,} people"


async def import_lines(database_url: str, lines: Iterable[bytes], *, progress: Progress | None = None) -> tuple[int, list[Refusal], store.Loaded]:
    """Validate and load `lines` in one transaction: (lines read, refusals, what the table took)."""
    await migrate(database_url, SCHEMA, (MIGRATIONS,))  # the import may come before the service first ran
    staged = StagedLines(lines, datetime.now(SHANGHAI), progress)
    conn = await asyncpg.connect(database_url, server_settings=SESSION)
    try:
        async with conn.transaction():
            await store.stage(conn, staged)
            if progress:
                progress(f"registry import: {staged.read:,} lines read; writing the registries")
            loaded = await store.upsert_staged(conn)
    finally:
        await conn.close()
    return staged.read, staged.refusals, loaded


async def import_file(database_url: str, path: Path, *, progress: Progress | None = None) -> Summary:
    """UnreadableFile when the file cannot be opened or read to its end (nothing is loaded then)."""
    started = time.perf_counter()
    with _opened(path) as file:
        read, refusals, loaded = await import_lines(database_url, file, progress=progress)
    return Summary(str(path), read, tuple(refusals), loaded, time.perf_counter() - started)


def _opened(path: Path) -> BinaryIO:
    try:
        return open(path, "rb", buffering=1 << 20)
    except OSError as exc:  # before any database work: a missing file is the caller's mistake, not a crash
        raise UnreadableFile(exc.strerror or type(exc).__name__) from exc

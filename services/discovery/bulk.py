"""`jointaid monitor import FILE`: a file of monitoring signals (CSV or Parquet) in, leads out, in one transaction.

What it guarantees:
- every row is checked by the contract's rules (services/discovery/signal_file.py, column-wise); a refused row is
  reported by its number and rule (never its content), and the other rows are loaded;
- the good rows are COPYed into a staging table, then set-based SQL (services/discovery/store.py): a signal
  already loaded (same digest: the same row) is a duplicate and inserts nothing, so a second import of the same
  file raises no lead; a signal of a person the registries do not know is kept and counted, never a lead;
- the rules (services/discovery/rules.py, the `[leads]` parameters of the policy version in force on the as-of day)
  run only for the households the new signals touch; each new lead's aid.lead.raised event is written to
  discovery's outbox in the same transaction (the running discovery service's relay publishes it);
- one transaction: a database that goes away midway leaves everything as it was.
The same loader takes the signals posted through the API (services/discovery/handlers.py).
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time as clock
from pathlib import Path
from typing import Callable, Iterable

import asyncpg

from contracts.application import SHANGHAI
from contracts.registry import Refusal
from contracts.signals import SignalLine
from services.caseload.bulk import collector_paused, rule_of
from services.discovery import signal_file, store
from services.discovery.store import MIGRATIONS
from services.discovery.rules import Params
from services.discovery.signal_file import UnreadableFile
from services.kit.db import migrate
from services.kit.policy import policy_on

SCHEMA = "discovery"
SHOWN_REFUSALS = 20
SESSION = {"search_path": SCHEMA, "application_name": "jointaid-monitor-import", "work_mem": "256MB",
           "temp_buffers": "512MB"}
Progress = Callable[[str], None]
__all__ = ["UnreadableFile", "import_file", "summary_text", "load_signals"]


@dataclass(frozen=True)
class Summary:
    file: str
    format: str
    read: int
    refusals: tuple[Refusal, ...]
    loaded: store.Loaded
    as_of: date
    policy_version: str
    seconds: float

    @property
    def refused(self) -> int:
        return len(self.refusals)

    def refused_by_rule(self) -> dict[str, int]:
        return dict(Counter(rule_of(r) for r in self.refusals).most_common())

    def as_json(self) -> dict:
        done = self.loaded
        return {"file": self.file, "format": self.format, "read": self.read, "refused": self.refused,
                "loaded": done.loaded, "duplicates": done.duplicates, "unknown_persons": done.unknown,
                "leads_raised": done.leads, "skipped": done.skipped, "as_of": self.as_of.isoformat(),
                "policy_version": self.policy_version, "seconds": round(self.seconds, 3),
                "refused_by_rule": self.refused_by_rule(),
                "refusals": [{"row": r.line, "field": r.field, "message": r.message} for r in self.refusals]}


def _count(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def summary_text(summary: Summary, shown: int = SHOWN_REFUSALS) -> str:
    """read = loaded + duplicates + refused; then the leads, and why households got none."""
    done, rate = summary.loaded, summary.read / max(summary.seconds, 1e-9)
    skipped = done.skipped
    counts = [
        ("read", f"{_count(summary.read, 'row')} in {summary.seconds:,.1f} s ({rate:,.0f} signals/s)"),
        ("loaded", f"{_count(done.loaded, 'new signal')}, of which {done.unknown:,} of people the registries do not "
                   f"know (kept for the report, no lead)"),
        ("duplicates", f"{_count(done.duplicates, 'row')} already loaded (the same signal)"),
        ("refused", _count(summary.refused, "row") + (", by rule:" if summary.refused else "")),
    ]
    lines = [f"monitor import: {summary.file} ({summary.format}, rules of {summary.policy_version} as of "
             f"{summary.as_of})"] + [f"  {name:<10} {text}" for name, text in counts]
    lines += [f"    {count:>6} x {rule}" for rule, count in summary.refused_by_rule().items()]
    lines += [
        f"  leads      {_count(done.leads, 'lead')} raised",
        f"  no lead    {_count(skipped.get('open_lead', 0), 'household')} with an open lead already, "
        f"{skipped.get('recipient', 0):,} already recipients of what the signal points to, "
        f"{skipped.get('application_in_progress', 0):,} with an application in progress"
        + (f", {skipped['no_living_member']:,} with no living member" if skipped.get("no_living_member") else ""),
    ]
    if summary.refusals:
        lines.append(f"  refused rows{' (the first ' + str(shown) + ')' if summary.refused > shown else ''}:")
    lines += [f"    row {r.line}: {r.rule}" for r in summary.refusals[:shown]]
    if summary.refused > shown:
        lines.append(f"    ... and {summary.refused - shown:,} more (--json lists every one)")
    return "\n".join(lines)


def _now_for(as_of: date | None) -> datetime:
    """The "now" the rows are judged against: the end of the as-of day (nothing observed after it), else now."""
    now = datetime.now(SHANGHAI)
    if as_of is None:
        return now
    if as_of > now.date():
        raise UnreadableFile(f"--as-of {as_of} is in the future")
    return min(now, datetime.combine(as_of, clock(23, 59, 59), SHANGHAI))


async def import_file(database_url: str, path: Path, *, as_of: date | None = None,
                      progress: Progress | None = None) -> Summary:
    """UnreadableFile when the file cannot be read as signals (nothing is loaded then)."""
    started = time.perf_counter()
    now = _now_for(as_of)
    as_of = now.date()
    say = progress or (lambda text: None)
    with collector_paused():
        table, numbers = signal_file.read_table(path)
        kind = "parquet" if signal_file.is_parquet(path) else "csv"
        say(f"monitor import: {table.num_rows:,} rows read ({kind}) in {time.perf_counter() - started:,.1f} s; checking")
        checked = signal_file.check(table, numbers, now)
        del table
        say(f"monitor import: {checked.rows.num_rows:,} good rows, {len(checked.refusals):,} refused; loading")
        params = Params.of(policy_on(as_of), as_of)
        await migrate(database_url, SCHEMA, (MIGRATIONS,))  # the import may come before the service first ran
        conn = await asyncpg.connect(database_url, server_settings=SESSION)
        try:
            async with conn.transaction():
                await store.stage(conn)
                await store.copy_table(conn, checked.rows)
                say(f"monitor import: staged in {time.perf_counter() - started:,.1f} s; running the rules")
                done = await store.load_staged(conn, params)
                await store.record_import(conn, "file", params, done)
        finally:
            await conn.close()
    return Summary(str(path), kind, checked.read, tuple(checked.refusals), done, as_of, params.policy_version,
                   time.perf_counter() - started)


def staged_records(signals: Iterable[SignalLine]) -> list[tuple]:
    return [(n, s.id_number, s.signal.value, s.amount_fen, s.observed_on, s.source, s.grade)
            for n, s in enumerate(signals, 1)]


async def load_signals(conn: asyncpg.Connection, signals: list[SignalLine], as_of: date,
                       origin: str = "api") -> store.Loaded:
    """Signals already checked (the API's), through the same path as a file, in the caller's transaction."""
    params = Params.of(policy_on(as_of), as_of)
    await store.stage(conn)
    await store.copy_records(conn, staged_records(signals))
    done = await store.load_staged(conn, params)
    await store.record_import(conn, origin, params, done)
    return done

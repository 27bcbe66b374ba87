"""CPU seconds used by a process tree, grouped by what each process is (Linux /proc).

A service is `python -m jointaid.cli run NAME` → NAME; other processes go by their program
(postgres, tansu, ...), summed over all of theirs. Only processes alive at the reading count,
so read before and after while the system runs, and subtract.
"""
from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


@dataclass(frozen=True)
class Process:
    parent: int
    cpu_seconds: float  # user + system
    argv: tuple[str, ...]


def _read(pid: str) -> Process | None:
    """One process from /proc, or None when it is gone (or not ours to read)."""
    try:
        stat = (PROC / pid / "stat").read_text()
        argv = (PROC / pid / "cmdline").read_bytes()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
    return Process(int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS,
                   tuple(a.decode(errors="replace") for a in argv.split(b"\0") if a))


def label(argv: tuple[str, ...]) -> str:
    if "jointaid.cli" in argv:
        rest = argv[argv.index("jointaid.cli") + 1:]
        return rest[1] if rest[:1] == ("run",) and len(rest) > 1 else "supervisor"
    if not argv:
        return "?"
    program = Path(argv[0]).name.split(":")[0]  # "postgres: user db ..." -> postgres
    return program.split("-v")[0]  # "tansu-v0.6.0-..." -> tansu


def tree_cpu(root: int, marker: str | None = None) -> dict[str, float]:
    """CPU seconds by label over `root`, every process whose command line holds `marker` (a daemon
    such as the database's postmaster, re-parented away from `root`), and all their descendants."""
    processes = {int(e.name): p for e in PROC.iterdir() if e.name.isdigit() and (p := _read(e.name)) is not None}
    children: dict[int, list[int]] = defaultdict(list)
    for pid, process in processes.items():
        children[process.parent].append(pid)
    pending = [root] + [pid for pid, p in processes.items() if marker and any(marker in a for a in p.argv)]
    inside: set[int] = set()
    while pending:
        pid = pending.pop()
        if pid not in inside:
            inside.add(pid)
            pending += children[pid]
    totals: dict[str, float] = defaultdict(float)
    for pid in inside & processes.keys():
        totals[label(processes[pid].argv)] += processes[pid].cpu_seconds
    return dict(totals)


def difference(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    return {name: after[name] - before.get(name, 0.0) for name in after}

"""CPU seconds used by a process tree, grouped by what each process is (Linux /proc).

A service is `python -m jointaid.cli run NAME` → NAME; other processes go by their program
(postgres, tansu, ...), summed over all of theirs. Only processes alive at the reading count,
so read before and after while the system runs, and subtract.
"""
from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user+system CPU seconds) or None when the process is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) "
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS


def _label(pid: int) -> str:
    try:
        argv = (PROC / str(pid) / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    args = [a.decode(errors="replace") for a in argv if a]
    if "jointaid.cli" in args and "run" in args[args.index("jointaid.cli"):]:
        return args[args.index("run") + 1] if args.index("run") + 1 < len(args) else "?"
    if "jointaid.cli" in args:
        return "supervisor"
    program = Path(args[0]).name.split(":")[0] if args else "?"  # "postgres: user db ..." -> postgres
    return program.split("-v")[0]  # "tansu-v0.6.0-..." -> tansu


def _mentions(pid: int, marker: str) -> bool:
    try:
        return marker.encode() in (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return False


def tree_cpu(root: int, marker: str | None = None) -> dict[str, float]:
    """CPU seconds by label over `root`, every process whose command line holds `marker` (a daemon
    such as the database's postmaster, re-parented away from `root`), and all their descendants."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            parents[int(entry.name)], cpu[int(entry.name)] = stat
    inside = {root} | ({pid for pid in parents if _mentions(pid, marker)} if marker else set())
    changed = True
    while changed:  # descendants: a few levels (supervisor → service, postgres → backends)
        before = len(inside)
        inside |= {pid for pid, parent in parents.items() if parent in inside}
        changed = len(inside) != before
    totals: dict[str, float] = defaultdict(float)
    for pid in inside:
        if pid in cpu:
            totals[_label(pid)] += cpu[pid]
    return dict(totals)


def difference(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    return {name: after[name] - before.get(name, 0.0) for name in after}

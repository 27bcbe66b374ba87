"""`jointaid run-status RUN_ID`: a payment run's progress, as GET /v1/payment-runs/{run_id} shows it.

Reads the database like the other operator commands (intake's run row, caseload's progress view).
"""
from __future__ import annotations

import asyncio
import json
import sys
import uuid

import asyncpg

from services.intake import payment_runs
from services.kit.money import format_yuan

BAR_WIDTH = 30


async def read(database_url: str, run_id: uuid.UUID) -> dict | None:
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "intake"})
    try:
        return await payment_runs.view(conn, run_id)
    finally:
        await conn.close()


def bar(run: dict) -> str:
    """`[##########----------]  12/200 households  paid 10  failed 2  total 11,000.00 yuan  running` (pure)."""
    total = run["households"]
    done = run["paid"] + run["failed"]
    filled = 0 if total is None else BAR_WIDTH if total == 0 else BAR_WIDTH * done // total
    households = "?" if total is None else f"{total:,}"
    return (f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {done:,}/{households} households  paid {run['paid']:,}"
            f"  failed {run['failed']:,}  total {format_yuan(run['total_fen'])} yuan  {run['status']}")


async def watch(database_url: str, run_id: uuid.UUID, machine_readable: bool, interval: float = 0.5) -> int:
    """Once with --json; else a bar redrawn until the run is done. 2 for an unknown run, 1 when some households failed."""
    run = await read(database_url, run_id)
    if run is None:
        print(f"jointaid run-status: no payment run {run_id}", file=sys.stderr)
        return 2
    if machine_readable:
        print(json.dumps(run, indent=2))
        return 0
    redraw = sys.stdout.isatty()
    while True:
        print(("\r" if redraw else "") + bar(run), end="" if redraw else "\n", flush=True)
        if run["status"] == "done":
            break
        await asyncio.sleep(interval)
        run = await read(database_url, run_id)
    if redraw:
        print()
    return 1 if run["failed"] else 0

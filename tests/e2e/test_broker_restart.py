"""Broker outage: the embedded broker dies mid-run and forgets everything; nothing stays stuck."""
from __future__ import annotations

import asyncio
import os
import re
import signal
import threading
import time

from jointaid.bench import make_applications
from tests.e2e.conftest import start_system, stop_system
from tests.e2e.flows import assert_audit_clean, assert_paid_as_the_rules_say, submit_with_retries, wait_all_notified
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
        ids = asyncio.run(submit_with_retries(system, bodies, "broker"))
        killer.join()
        seen = wait_all_notified(system, ids)
        assert_paid_as_the_rules_say(ids, bodies, seen)
        assert "embedded broker back" in system.log.read_text()
        assert_audit_clean(system)
    finally:
        stop_system(system)

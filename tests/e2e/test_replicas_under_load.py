"""Two replicas of every department, disbursement and intake in their consumer groups, under load, one
replica killed mid-run: the partitions are shared out, and every application is still paid once."""
from __future__ import annotations

import asyncio
import os
import re
import signal
import threading

from jointaid.bench import make_applications
from contracts.routes import DEPARTMENTS
from tests.e2e.conftest import start_system, stop_system
from tests.e2e.flows import assert_audit_clean, assert_paid_as_the_rules_say, submit_with_retries, wait_all_notified

COUNT = 200
PARTITIONS = 4
REPLICATED = (*DEPARTMENTS, "disbursement", "intake")
ASSIGNED = re.compile(r"assigned to partitions: \((.*)\)")
PARTITION = re.compile(r"topic='([^']+)', partition=(\d+)")


def last_assignment(log_file) -> set[tuple[str, int]]:
    """The partitions a process held after its last rebalance, from FastStream's assignment log line."""
    lines = ASSIGNED.findall(log_file.read_text(errors="replace"))
    return {(topic, int(p)) for topic, p in PARTITION.findall(lines[-1])} if lines else set()


def test_two_replicas_of_each_pay_every_application_once(tmp_path):
    replicas = [arg for service in REPLICATED for arg in ("--replicas", f"{service}=2")]
    system = start_system(tmp_path / "data", "--partitions", str(PARTITIONS), *replicas)
    run_dir, logs = tmp_path / "data" / "run", tmp_path / "data" / "logs"
    try:
        for service in REPLICATED:
            assert (run_dir / f"{service}.pid").exists() and (run_dir / f"{service}-2.pid").exists(), service
        bodies = make_applications(COUNT, seed=11)
        victim = run_dir / "disbursement-2.pid"
        killed: list[int] = []
        killer = threading.Timer(3.0, lambda: (os.kill(pid := int(victim.read_text()), signal.SIGKILL), killed.append(pid)))
        killer.start()
        ids = asyncio.run(submit_with_retries(system, bodies, "replicas"))
        killer.join()
        seen = wait_all_notified(system, ids)
        assert_paid_as_the_rules_say(ids, bodies, seen)
        assert_audit_clean(system)
        assert killed and int(victim.read_text()) != killed[0]  # it was killed mid-run, and started again
        for service in DEPARTMENTS:  # each replica holds its own share; together, every partition once
            first, second = last_assignment(logs / f"{service}.log"), last_assignment(logs / f"{service}-2.log")
            assert first and second and not first & second, (service, first, second)
            topics = {topic for topic, _ in first | second}
            assert first | second == {(t, p) for t in topics for p in range(PARTITIONS)}, service
    finally:
        stop_system(system)

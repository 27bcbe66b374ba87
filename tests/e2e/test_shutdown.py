"""`jointaid up` then SIGTERM leaves no process of it running."""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

from services.kit.settings import SERVICES
from tests.e2e.conftest import start_system, stop_system


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purpose
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def processes_mentioning(text: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in cmdline and alive(int(proc.name)):
                found.append(int(proc.name))
    return found


def test_sigterm_stops_every_process(tmp_path):
    system = start_system(tmp_path / "data")
    try:
        pids = {f.stem: int(f.read_text()) for f in (tmp_path / "data" / "run").glob("*.pid")}
        assert set(pids) == set(SERVICES)
        assert all(alive(pid) for pid in pids.values())
        broker = re.search(r"broker\s+(\S+) \(embedded", system.log.read_text()).group(1)
        assert processes_mentioning(f"tcp://{broker}")  # the embedded broker runs...
    except BaseException:  # a failure before the stop under test must not leave a whole system running
        stop_system(system)
        raise
    assert stop_system(system) == 0
    time.sleep(0.5)
    assert [name for name, pid in pids.items() if alive(pid)] == []
    assert processes_mentioning(str(tmp_path / "data")) == []  # the database and every service
    assert processes_mentioning(f"tcp://{broker}") == []  # ...and is gone
    assert not list((tmp_path / "data" / "run").glob("*.pid"))


def test_a_killed_service_is_restarted(tmp_path):
    system = start_system(tmp_path / "data")
    try:
        pid_file = tmp_path / "data" / "run" / "verification.pid"
        first = int(pid_file.read_text())
        os.kill(first, 9)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and int(pid_file.read_text()) == first:
            time.sleep(0.2)
        second = int(pid_file.read_text())
        assert second != first and alive(second)
    finally:
        stop_system(system)

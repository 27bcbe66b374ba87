"""Run every service as its own OS process; restart one that dies; stop them all on request."""
from __future__ import annotations

import ctypes
import logging
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from services.kit.metrics import MULTIPROC_ENV, mark_dead

log = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the supervisor dies, so no service outlives it."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


@dataclass
class Child:
    name: str      # the process's name: its pid and log files (a service's second replica: "<service>-2")
    service: str
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    next_start: float = 0.0


class Supervisor:
    def __init__(self, processes: dict[str, str], env: dict[str, str], run_dir: Path, log_dir: Path):
        """processes: process name -> the service it runs (jointaid.replicas.process_names)."""
        self.children = {name: Child(name, service) for name, service in processes.items()}
        self.env = env
        self.run_dir = run_dir
        self.log_dir = log_dir
        run_dir.mkdir(parents=True, exist_ok=True)
        log_dir.mkdir(parents=True, exist_ok=True)

    def pid_file(self, name: str) -> Path:
        return self.run_dir / f"{name}.pid"

    def start(self, child: Child) -> None:
        out = open(self.log_dir / f"{child.name}.log", "ab")
        child.process = subprocess.Popen(
            [sys.executable, "-m", "jointaid.cli", "run", child.service],
            env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent,
        )
        out.close()
        child.started_at = time.monotonic()
        self.pid_file(child.name).write_text(f"{child.process.pid}\n")

    def start_all(self) -> None:
        for child in self.children.values():
            self.start(child)

    def restart_dead(self) -> None:
        now = time.monotonic()
        for child in self.children.values():
            code = child.process.poll() if child.process else None
            if child.process is not None and code is None:
                continue
            if child.process is not None:
                if now - child.started_at > 60:
                    child.restarts = 0  # it ran a good while: start again promptly
                delay = min(2 ** child.restarts * 0.5, 30)
                log.warning("%s exited with %s; restarting in %.1fs", child.name, code, delay)
                mark_dead(child.process.pid, self.env.get(MULTIPROC_ENV))  # its live gauges no longer count
                child.process, child.next_start = None, now + delay
                child.restarts += 1
            if now >= child.next_start:
                self.start(child)
                log.info("%s restarted (pid %d)", child.name, child.process.pid)

    def stop_all(self, timeout: float = 15.0) -> None:
        running = [c for c in self.children.values() if c.process and c.process.poll() is None]
        for child in running:
            child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in running:
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %.0fs; killing it", child.name, timeout)
                child.process.kill()
                child.process.wait()
            mark_dead(child.process.pid, self.env.get(MULTIPROC_ENV))
        for child in self.children.values():
            self.pid_file(child.name).unlink(missing_ok=True)

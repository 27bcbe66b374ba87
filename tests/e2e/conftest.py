"""End-to-end tier: `jointaid up` as a user starts it, driven through its HTTP API."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from jointaid.embedded import free_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class System:
    base: str
    data_dir: Path
    process: subprocess.Popen
    log: Path

    @property
    def database_url(self) -> str:
        return f"postgresql://postgres:@/postgres?host={self.data_dir / 'pg'}"

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=10)

    def wait_status(self, application_id: str, status: str = "notified", timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        view = {}
        with self.client() as client:
            while time.monotonic() < deadline:
                view = client.get(f"/v1/applications/{application_id}").json()
                if view.get("status") == status:
                    return view
                time.sleep(0.2)
        raise AssertionError(f"{application_id} not {status} within {timeout}s: {view}")


def start_system(data_dir: Path, *extra: str, env_extra: dict | None = None) -> System:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL")}
    env.update(env_extra or {})
    log = data_dir.parent / f"{data_dir.name}-up.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "jointaid.cli", "up", "--data-dir", str(data_dir), "--port", str(port), *extra],
        cwd=ROOT, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT,
    )
    system = System(f"http://127.0.0.1:{port}", data_dir, process, log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jointaid up exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{system.base}/readyz", timeout=2).status_code == 200:
                return system
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop_system(system)
    raise RuntimeError(f"jointaid up not ready in 90 s:\n{log.read_text()[-3000:]}")


def stop_system(system: System, timeout: float = 30) -> int:
    system.process.send_signal(signal.SIGTERM)
    try:
        return system.process.wait(timeout)
    except subprocess.TimeoutExpired:
        system.process.kill()
        raise


@pytest.fixture(scope="session")
def system(tmp_path_factory):
    running = start_system(tmp_path_factory.mktemp("e2e") / "data")
    yield running
    stop_system(running)

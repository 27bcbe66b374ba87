"""End-to-end tier: `jointaid up` as a user starts it, driven through its HTTP API."""
from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from jointaid.credentials import staff_token
from jointaid.embedded import free_port
from jointaid.second_approver import SUBJECT as SECOND_APPROVER, approve_waiting
from tests.conftest import EXAMPLES

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

    def token(self, role: str = "operator", subject: str | None = None) -> str:
        """A staff token signed with this system's key, as `jointaid token` prints it."""
        return staff_token(self.data_dir, role, subject or f"e2e-{role}")

    def client(self, role: str | None = "operator") -> httpx.Client:
        """An HTTP client carrying a token of `role` (None: anonymous, as a citizen's first submission is)."""
        headers = {"Authorization": f"Bearer {self.token(role)}"} if role else {}
        return httpx.Client(base_url=self.base, timeout=10, headers=headers)

    def wait_status(self, application_id: str, status: str = "notified", timeout: float = 60) -> dict:
        """Payments above the approval threshold (worked example D) are approved by a second person on the way."""
        deadline = time.monotonic() + timeout
        view = {}
        with self.client() as client, self.approver() as approver:
            while time.monotonic() < deadline:
                view = client.get(f"/v1/applications/{application_id}").json()
                if view.get("status") == status:
                    return view
                if view.get("status") == "awaiting_approval":
                    approve_waiting(approver, only={application_id})
                time.sleep(0.2)
        raise AssertionError(f"{application_id} not {status} within {timeout}s: {view}")

    def approver(self) -> httpx.Client:
        """The tests' second person: an approver who registered and handled nothing."""
        return httpx.Client(base_url=self.base, timeout=10,
                            headers={"Authorization": f"Bearer {self.token('approver', SECOND_APPROVER)}"})

    def wait_applicant_free(self, id_number: str, timeout: float = 60) -> None:
        """Wait until no application of this applicant is in progress, so a new one is not refused
        with application_in_progress: every one intake holds is notified, and verification has
        released the applicant (it does so on aid.notification.sent, a moment after intake's view)."""
        key = hashlib.sha256(id_number.upper().encode()).hexdigest()

        async def busy() -> tuple[int, int]:
            conn = await asyncpg.connect(self.database_url)
            try:
                open_ = await conn.fetchval(
                    "SELECT count(*) FROM intake.applications"
                    " WHERE upper(submission->>'applicant_id_number') = $1 AND status <> 'notified'", id_number.upper())
                held = await conn.fetchval(
                    "SELECT count(*) FROM verification.active_applicants WHERE applicant_key = $1", key)
                return open_, held
            finally:
                await conn.close()

        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            state = asyncio.run(busy())
            if state == (0, 0):
                return
            time.sleep(0.2)
        raise AssertionError(f"applicant still busy after {timeout}s (open, held) = {state}")

    def submit(self, body: dict) -> str:
        """Submit once the applicant is free, as a caseworker (not rate-limited); the application's id."""
        self.wait_applicant_free(body["applicant_id_number"])
        with self.client("caseworker") as client:
            response = client.post("/v1/applications", json=body)
        assert response.status_code == 202, response.text
        return response.json()["application_id"]


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


@pytest.fixture(scope="session")
def worked_examples(system) -> dict[str, dict]:
    """The four worked examples, each submitted once its applicant is free (an earlier test may have
    left one in progress), then each one's notified view. Shared by every e2e module: no double submit."""
    ids = {name: system.submit(body) for name, body in EXAMPLES.items()}
    return {name: system.wait_status(application_id) for name, application_id in ids.items()}

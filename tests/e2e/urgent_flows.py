"""What the advance and approval tests share: fresh urgent bodies, staff clients by subject, the audit as JSON."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx

from jointaid.bench import _renumber
from tests.conftest import EXAMPLES
from tests.e2e.conftest import ROOT


def body(example: str, serial: int, urgent: str | None = None) -> dict:
    """A worked example with fresh ID numbers (serial: unique per test), marked urgent when asked."""
    fresh = _renumber(EXAMPLES[example], serial)
    if urgent:
        fresh["urgent"] = {"kind": urgent, "note": "hospital needs the deposit by noon"}
    return fresh


def staff(system, role: str, subject: str) -> httpx.Client:
    return httpx.Client(base_url=system.base, timeout=10, headers={"Authorization": f"Bearer {system.token(role, subject)}"})


def submit(system, fresh: dict, subject: str = "cw-wang") -> str:
    """Registered by caseworker `subject` once the applicant is free; the application's id."""
    system.wait_applicant_free(fresh["applicant_id_number"])
    with staff(system, "caseworker", subject) as client:
        answer = client.post("/v1/applications", json=fresh)
    assert answer.status_code == 202, answer.text
    return answer.json()["application_id"]


def wait_view(system, application_id: str, done, timeout: float = 60) -> dict:
    deadline, view = time.monotonic() + timeout, {}
    with system.client() as client:
        while time.monotonic() < deadline:
            view = client.get(f"/v1/applications/{application_id}").json()
            if done(view):
                return view
            time.sleep(0.1)
    raise AssertionError(f"{application_id}: not there within {timeout} s: {view}")


def payments_by_kind(view: dict) -> dict[str, dict]:
    return {p["kind"]: p for p in view["payments"]}


def audit_json(system) -> dict:
    done = subprocess.run([sys.executable, "-m", "jointaid.cli", "audit", "--json", "--data-dir", str(system.data_dir)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    report = json.loads(done.stdout)
    assert done.returncode == (0 if report["clean"] else 1)
    return report

"""`jointaid up --demo`: submit the four worked examples and print each citizen's notification."""
from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from jointaid.second_approver import approve_waiting

EXAMPLES = Path(__file__).resolve().parent / "examples" / "applications.json"


def run_demo(base: str, timeout: float = 60, approver_token: str | None = None) -> dict[str, dict]:
    """Example D (73,600 yuan) is above the approval threshold: a second person (`approver_token`) approves it."""
    examples = json.loads(EXAMPLES.read_text())
    with httpx.Client(base_url=base, timeout=10) as client:
        submitted = {}
        for name, body in examples.items():
            answer = client.post("/v1/applications", json=body)
            answer.raise_for_status()
            submitted[name] = answer.json()
            print(f"demo: submitted example {name} as {submitted[name]['application_id']}", flush=True)
        # each household follows its own application with the token its submission answered
        views = {name: wait_notified(client, s["application_id"], s["access_token"], timeout, approver_token)
                 for name, s in submitted.items()}
    for name, view in views.items():
        total = (view.get("payment") or {}).get("total_fen", 0)
        print(f"\n===== example {name}: {view['status']}, total {total} fen =====", flush=True)
        print((view.get("notification") or {}).get("text", "(no notification yet)"), flush=True)
    return views


def wait_notified(client: httpx.Client, application_id: str, token: str, timeout: float,
                  approver_token: str | None = None) -> dict:
    deadline = time.monotonic() + timeout
    view = {}
    while time.monotonic() < deadline:
        view = client.get(f"/v1/applications/{application_id}", headers={"Authorization": f"Bearer {token}"}).json()
        if view.get("status") == "notified":
            return view
        if view.get("status") == "awaiting_approval" and approver_token:
            with httpx.Client(base_url=client.base_url, timeout=10,
                              headers={"Authorization": f"Bearer {approver_token}"}) as approver:
                if approve_waiting(approver, only={application_id}, note="demo: approved by a second person"):
                    print(f"demo: payment of {application_id} above the threshold, approved by demo-approver", flush=True)
        time.sleep(0.2)
    return view

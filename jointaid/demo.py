"""`jointaid up --demo`: submit the four worked examples and print each citizen's notification."""
from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

EXAMPLES = Path(__file__).resolve().parent / "examples" / "applications.json"


def run_demo(base: str, timeout: float = 60) -> dict[str, dict]:
    examples = json.loads(EXAMPLES.read_text())
    with httpx.Client(base_url=base, timeout=10) as client:
        submitted = {}
        for name, body in examples.items():
            answer = client.post("/v1/applications", json=body)
            answer.raise_for_status()
            submitted[name] = answer.json()
            print(f"demo: submitted example {name} as {submitted[name]['application_id']}", flush=True)
        # each household follows its own application with the token its submission answered
        views = {name: wait_notified(client, s["application_id"], s["access_token"], timeout) for name, s in submitted.items()}
    for name, view in views.items():
        total = (view.get("payment") or {}).get("total_fen", 0)
        print(f"\n===== example {name}: {view['status']}, total {total} fen =====", flush=True)
        print((view.get("notification") or {}).get("text", "(no notification yet)"), flush=True)
    return views


def wait_notified(client: httpx.Client, application_id: str, token: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    view = {}
    while time.monotonic() < deadline:
        view = client.get(f"/v1/applications/{application_id}", headers={"Authorization": f"Bearer {token}"}).json()
        if view.get("status") == "notified":
            return view
        time.sleep(0.2)
    return view

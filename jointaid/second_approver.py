"""The second person, for the demo, the bench and the tests: approve every payment awaiting approval.

The worked example D (73,600 yuan) is above the default approval threshold (20,000 yuan), so every flow
that waits for it to be notified needs an approver who neither registered nor handled it. This one goes
through the API like any approver (GET /v1/approvals, POST .../approval), under its own subject.
"""
from __future__ import annotations

import httpx

SUBJECT = "second-approver"
NOTE = "approved by the second approver (demo, bench, tests)"


def approve_waiting(client: httpx.Client, only=None, note: str = NOTE) -> list[str]:
    """Approve every pending approval (of the applications in `only`, when given; the client carries an
    approver token); the application ids approved."""
    approved, after = [], None
    while True:
        page = client.get("/v1/approvals", params={"status": "pending", "limit": 500, **({"after": after} if after else {})})
        page.raise_for_status()
        for waiting in page.json()["approvals"]:
            if only is not None and waiting["application_id"] not in only:
                continue
            answer = client.post(f"/v1/applications/{waiting['application_id']}/approval", json={"approve": True, "note": note})
            if answer.status_code == 200:  # 409: another approver was quicker
                approved.append(waiting["application_id"])
        after = page.json()["next_after"]
        if after is None:
            return approved


async def approve_waiting_async(client: httpx.AsyncClient, note: str = NOTE) -> int:
    """The same for an async client; how many were approved."""
    page = await client.get("/v1/approvals", params={"status": "pending", "limit": 500})
    page.raise_for_status()
    approved = 0
    for waiting in page.json()["approvals"]:
        answer = await client.post(f"/v1/applications/{waiting['application_id']}/approval", json={"approve": True, "note": note})
        approved += answer.status_code == 200
    return approved

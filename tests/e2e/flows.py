"""What the break-things tests share: submit through crashes, wait for every application, check the books."""
from __future__ import annotations

import asyncio
import datetime
import subprocess
import sys
import time

import asyncpg
import httpx

from jointaid.embedded import running_url
from jointaid.second_approver import approve_waiting
from tests.e2e.conftest import ROOT
from tests.oracle import expected_total_fen

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


async def submit_with_retries(system, bodies: list[dict], prefix: str = "flow") -> list[str]:
    """Each application once, whatever the crashes: the Idempotency-Key makes a retried POST safe.
    Registered by a caseworker, as batch clients do: anonymous submissions are rate-limited."""
    limit = asyncio.Semaphore(8)

    async def one(client, index, body):
        async with limit:
            for _ in range(120):
                try:
                    answer = await client.post("/v1/applications", json=body, headers={"Idempotency-Key": f"{prefix}-{index}"})
                    if answer.status_code == 202:
                        return answer.json()["application_id"]
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.5)
            raise AssertionError(f"application {index} never accepted")

    headers = {"Authorization": f"Bearer {system.token('caseworker')}"}
    async with httpx.AsyncClient(base_url=system.base, timeout=10, headers=headers) as client:
        return await asyncio.gather(*(one(client, i, body) for i, body in enumerate(bodies)))


async def outcome(url: str, ids: list[str]) -> dict[str, tuple]:
    """Per application: (status, payments, total paid, messages, submitted_at)."""
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT a.application_id::text AS id, a.status, a.submitted_at,"
            " (SELECT count(*) FROM disbursement.payments p WHERE p.application_id = a.application_id) AS payments,"
            " (SELECT coalesce(sum(total_fen), 0)::bigint FROM disbursement.payments p WHERE p.application_id = a.application_id) AS total,"
            " (SELECT count(*) FROM notification.messages m WHERE m.application_id = a.application_id) AS messages"
            " FROM intake.applications a WHERE a.application_id = ANY($1::uuid[])", ids)
        return {r["id"]: (r["status"], r["payments"], r["total"], r["messages"], r["submitted_at"]) for r in rows}
    finally:
        await conn.close()


def wait_all_notified(system, ids: list[str], timeout: float = 300) -> dict[str, tuple]:
    url = running_url(system.data_dir / "pg")
    deadline = time.monotonic() + timeout
    while True:
        seen = asyncio.run(outcome(url, ids))
        if sum(1 for s in seen.values() if s[0] == "notified") == len(ids) or time.monotonic() > deadline:
            break
        if any(s[0] == "awaiting_approval" for s in seen.values()):  # worked example D: above the threshold
            try:
                with system.approver() as approver:
                    approve_waiting(approver, only=set(ids))
            except httpx.TransportError:
                pass  # intake is restarting (a test that restarts the services): the approver tries again next round
        time.sleep(2)
    assert len(seen) == len(set(ids)) == len(ids)
    assert {i: s[0] for i, s in seen.items() if s[0] != "notified"} == {}
    return seen


def assert_paid_as_the_rules_say(ids: list[str], bodies: list[dict], seen: dict[str, tuple]) -> None:
    """One payment of exactly the rules' total (none for a zero total) and one message, for each."""
    for application_id, body in zip(ids, bodies):
        _, payments, total, messages, submitted_at = seen[application_id]
        want = expected_total_fen(body, submitted_at.astimezone(SHANGHAI).date())
        assert (payments, total, messages) == ((1 if want else 0), want, 1), application_id


def assert_audit_clean(system) -> None:
    audit = subprocess.run([sys.executable, "-m", "jointaid.cli", "audit", "--data-dir", str(system.data_dir)],
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert audit.returncode == 0 and "anomalies    : none" in audit.stdout, audit.stdout

"""`jointaid audit` on a run of 500 applications: no anomaly; a forged duplicate is reported."""
from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import asyncpg
import httpx
import pytest

from jointaid.bench import make_applications
from jointaid.embedded import running_url
from jointaid.second_approver import approve_waiting
from tests.e2e.conftest import ROOT, start_system, stop_system

COUNT = 500


@pytest.fixture(scope="module")
def busy_system(tmp_path_factory):
    system = start_system(tmp_path_factory.mktemp("audit") / "data")
    yield system
    stop_system(system)


def audit(system) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jointaid.cli", "audit", "--data-dir", str(system.data_dir)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


async def submit_all(system, bodies: list[dict]) -> None:
    limit = asyncio.Semaphore(16)
    headers = {"Authorization": f"Bearer {system.token('caseworker')}"}
    async with httpx.AsyncClient(base_url=system.base, timeout=30, headers=headers) as client:
        async def one(body):
            async with limit:
                (await client.post("/v1/applications", json=body)).raise_for_status()
        await asyncio.gather(*(one(body) for body in bodies))


async def count_notified(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval("SELECT count(*) FROM intake.applications WHERE status = 'notified'")
    finally:
        await conn.close()


def test_audit_of_500_applications_finds_no_anomaly(busy_system):
    asyncio.run(submit_all(busy_system, make_applications(COUNT, seed=11)))
    url = running_url(busy_system.data_dir / "pg")
    deadline = time.monotonic() + 180
    while asyncio.run(count_notified(url)) < COUNT and time.monotonic() < deadline:
        with busy_system.approver() as approver:  # worked example D's shape is above the approval threshold
            approve_waiting(approver)
        time.sleep(1)
    assert asyncio.run(count_notified(url)) == COUNT
    result = audit(busy_system)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"applications : {COUNT} (notified {COUNT})" in result.stdout
    assert f"notifications: {COUNT}" in result.stdout
    assert "anomalies    : none" in result.stdout


def test_audit_reports_a_forged_duplicate_payment(busy_system):
    async def forge():
        conn = await asyncpg.connect(running_url(busy_system.data_dir / "pg"))
        try:
            original = await conn.fetchrow("SELECT * FROM disbursement.payments WHERE status = 'settled' LIMIT 1")
            await conn.execute("DROP INDEX disbursement.payments_one_per_application_kind")
            await conn.execute("INSERT INTO disbursement.payments(payment_id, application_id, total_fen, status)"
                               " VALUES (gen_random_uuid(), $1, $2, 'settled')", original["application_id"], original["total_fen"])
            return original["application_id"]
        finally:
            await conn.close()

    forged = asyncio.run(forge())
    result = audit(busy_system)
    assert result.returncode == 1
    assert "ANOMALY application with more than one payment: 1" in result.stdout
    assert f"{forged} (2)" in result.stdout

"""Crash test: kill -9 every service once while 300 applications flow; nothing lost, nothing doubled."""
from __future__ import annotations

import asyncio
import datetime
import os
import signal
import subprocess
import sys
import threading
import time

import asyncpg
import httpx

from jointaid.bench import make_applications
from jointaid.embedded import running_url
from tests.e2e.conftest import ROOT, start_system, stop_system
from tests.oracle import expected_total_fen

COUNT = 300
SERVICES = ("intake", "verification", "civil_affairs", "medical_insurance", "red_cross", "disbursement", "notification")


async def submit_with_retries(base: str, bodies: list[dict]) -> list[str]:
    """Each application once, whatever the crashes: the Idempotency-Key makes a retried POST safe."""
    limit = asyncio.Semaphore(8)

    async def one(client, index, body):
        async with limit:
            for attempt in range(120):
                try:
                    answer = await client.post("/v1/applications", json=body, headers={"Idempotency-Key": f"crash-{index}"})
                    if answer.status_code == 202:
                        return answer.json()["application_id"]
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.5)
            raise AssertionError(f"application {index} never accepted")

    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        return await asyncio.gather(*(one(client, i, body) for i, body in enumerate(bodies)))


def kill_each_service_once(run_dir, stop: threading.Event) -> list[str]:
    killed = []
    for name in SERVICES:
        if stop.wait(2.0):
            break
        pid = int((run_dir / f"{name}.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        killed.append(name)
    return killed


async def outcome(url: str, ids: list[str]) -> dict[str, tuple]:
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


def test_kill_every_service_during_300_applications(tmp_path):
    system = start_system(tmp_path / "data")
    try:
        bodies = make_applications(COUNT, seed=3)
        stop = threading.Event()
        killed: list[str] = []
        killer = threading.Thread(target=lambda: killed.extend(kill_each_service_once(tmp_path / "data" / "run", stop)))
        killer.start()
        ids = asyncio.run(submit_with_retries(system.base, bodies))
        killer.join()
        assert killed == list(SERVICES)
        url = running_url(system.data_dir / "pg")
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            seen = asyncio.run(outcome(url, ids))
            if sum(1 for s in seen.values() if s[0] == "notified") == COUNT:
                break
            time.sleep(2)
        assert len(set(ids)) == COUNT and len(seen) == COUNT
        stuck = {i: s[0] for i, s in seen.items() if s[0] != "notified"}
        assert stuck == {}
        shanghai = datetime.timezone(datetime.timedelta(hours=8))
        for application_id, body in zip(ids, bodies):
            status, payments, total, messages, submitted_at = seen[application_id]
            want = expected_total_fen(body, submitted_at.astimezone(shanghai).date())
            assert (payments, total, messages) == ((1 if want else 0), want, 1), application_id
        audit = subprocess.run([sys.executable, "-m", "jointaid.cli", "audit", "--data-dir", str(system.data_dir)],
                               cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert audit.returncode == 0 and "anomalies    : none" in audit.stdout, audit.stdout
    finally:
        stop_system(system)

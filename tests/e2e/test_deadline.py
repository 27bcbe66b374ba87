"""A department held back past the deadline: escalated, then completed exactly once when it answers."""
from __future__ import annotations

import asyncio
import os
import signal

import asyncpg

from jointaid.embedded import running_url
from tests.conftest import EXAMPLES, EXPECTED
from tests.e2e.conftest import start_system, stop_system


def test_held_back_department_escalates_then_completes_once(tmp_path):
    system = start_system(tmp_path / "data", env_extra={"JOINTAID_DEADLINE_SECONDS": "2"})
    red_cross = int((tmp_path / "data" / "run" / "red_cross.pid").read_text())
    try:
        os.kill(red_cross, signal.SIGSTOP)  # the Red Cross stops answering
        try:
            with system.client() as client:
                application_id = client.post("/v1/applications", json=EXAMPLES["D"]).json()["application_id"]
            escalated = system.wait_status(application_id, "escalated", timeout=30)
            assert len(escalated["decisions"]) == 4 and escalated["payment"] is None
        finally:
            os.kill(red_cross, signal.SIGCONT)  # ...and answers at last
        view = system.wait_status(application_id, "notified", timeout=60)
        assert view["payment"]["total_fen"] == EXPECTED["D"]["total_fen"]

        async def counts():
            conn = await asyncpg.connect(running_url(system.data_dir / "pg"))
            try:
                return (await conn.fetchval("SELECT count(*) FROM disbursement.payments WHERE application_id = $1::uuid", application_id),
                        await conn.fetchval("SELECT count(*) FROM notification.messages WHERE application_id = $1::uuid", application_id),
                        await conn.fetchval("SELECT count(*) FROM disbursement.outbox WHERE application_id = $1::uuid"
                                            " AND topic = 'aid.case.escalated'", application_id))
            finally:
                await conn.close()
        assert asyncio.run(counts()) == (1, 1, 1)
    finally:
        stop_system(system)

"""The embedded broker dies mid-run and forgets everything: the run still pays every household exactly once."""
from __future__ import annotations

import asyncio
import time
import uuid

import httpx

from jointaid.bench import make_applications
from services.caseload.amounts import next_period
from tests.e2e.conftest import start_system, stop_system
from tests.e2e.flows import assert_audit_clean, submit_with_retries, wait_all_notified
from tests.e2e.test_broker_restart import kill_broker
from tests.e2e.test_payment_run_flows import post_run, rows


def wait_done(system, run_id: str, timeout: float = 180) -> dict:
    """The run's progress once done; intake restarts with the broker, so a refused connection is retried."""
    deadline, progress = time.monotonic() + timeout, {}
    while time.monotonic() < deadline and progress.get("status") != "done":
        try:
            with system.client("operator") as client:
                progress = client.get(f"/v1/payment-runs/{run_id}").json()
        except httpx.HTTPError:
            pass
        time.sleep(1)
    return progress


def test_a_broker_restart_mid_run_pays_each_household_once(tmp_path):
    system = start_system(tmp_path / "data")
    try:
        ids = asyncio.run(submit_with_retries(system, make_applications(80, seed=5), "restart"))
        wait_all_notified(system, ids)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            monthly = rows(system, "SELECT count(*) AS n, min(first_period) AS first FROM caseload.recipients"
                                   " WHERE status IN ('mla', 'extreme_poverty')")[0]
            approved = rows(system, "SELECT count(*) AS n FROM intake.decisions WHERE layer = 1 AND outcome = 'approved'"
                                    " AND program IN ('mla', 'extreme_poverty')")[0]["n"]
            if monthly["n"] == approved:
                break
            time.sleep(0.5)
        assert monthly["n"] == approved > 20
        answer = post_run(system, {"kind": "monthly", "period": monthly["first"]})
        assert answer.status_code == 202, answer.text
        run_id = answer.json()["run_id"]
        while not rows(system, "SELECT 1 FROM caseload.entitlements WHERE run_id = $1", uuid.UUID(run_id)):
            time.sleep(0.02)
        kill_broker(system)  # entitlements made, payments under way
        unpaid = rows(system, "SELECT count(*) AS n FROM caseload.entitlements WHERE run_id = $1 AND paid_at IS NULL",
                      uuid.UUID(run_id))[0]["n"]
        progress = wait_done(system, run_id)
        assert unpaid > 0 and "embedded broker back" in system.log.read_text()
        assert (progress["status"], progress["households"], progress["paid"]) == ("done", monthly["n"], monthly["n"])
        paid = rows(system, "SELECT recipient_id, count(*) AS n FROM disbursement.payments WHERE period = $1"
                            " AND kind = 'monthly' GROUP BY recipient_id", monthly["first"])
        assert len(paid) == monthly["n"] and all(r["n"] == 1 for r in paid)
        messages = rows(system, "SELECT count(*) AS n FROM notification.run_messages WHERE period = $1", monthly["first"])
        assert messages[0]["n"] == monthly["n"]
        assert_audit_clean(system)
    finally:
        stop_system(system)

"""`jointaid monitor import` against a running system: a CSV of signals raises a lead, announced on aid.lead.raised
(keyed by the lead) by the running discovery service; a bad row is refused by number; the same file again raises none."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid

from aiokafka import AIOKafkaConsumer

from jointaid.embedded import broker_address
from services.kit.policy import today_in_shanghai
from tests.caseload_lines import fresh_id
from tests.e2e.conftest import ROOT
from tests.e2e.test_caseload_moved_in import fetch
from tests.signal_files import signal, write_csv


def cli(system, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")}
    return subprocess.run([sys.executable, "-m", "jointaid.cli", *args, "--data-dir", str(system.data_dir)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


def raised_on_the_broker(system, key: bytes, timeout: float = 30) -> dict | None:
    async def read():
        consumer = AIOKafkaConsumer("aid.lead.raised", bootstrap_servers=broker_address(system.data_dir),
                                    auto_offset_reset="earliest", group_id=f"probe-{uuid.uuid4().hex[:8]}",
                                    enable_auto_commit=False)
        await consumer.start()
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        if record.key == key:
                            return json.loads(record.value)
        finally:
            await consumer.stop()
        return None
    return asyncio.run(read())


def test_a_signal_file_raises_a_lead_on_the_broker_and_the_same_file_again_none(system, tmp_path):
    applicant, child = fresh_id("150300"), fresh_id("150300")
    household_id = f"e2e-monitor-{uuid.uuid4().hex[:8]}"
    registry = tmp_path / "registry.jsonl"
    registry.write_text("".join(json.dumps({"id_number": number, "household_id": household_id, "hukou_region": "610630",
                                            "alive": True, "disability_grade": None, "monthly_income_fen": income,
                                            "financial_assets_fen": 0, "vehicles": 0}) + "\n"
                                for number, income in ((applicant, 250_000), (child, 0))))
    assert cli(system, "registry", "import", str(registry)).returncode == 0
    today = today_in_shanghai().isoformat()
    path = write_csv(tmp_path / "signals.csv", [
        signal(child, "medical_spending", 1_680_000, observed_on=today),
        signal("110105198001011234", "report", observed_on=today, source="hotline"),  # row 3: refused
        signal(fresh_id("150300"), "report", observed_on=today, source="hotline"),     # a stranger
    ])

    done = cli(system, "monitor", "import", str(path), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["read"], summary["loaded"], summary["unknown_persons"], summary["leads_raised"]) == (3, 2, 1, 1)
    assert [(r["row"], r["field"]) for r in summary["refusals"]] == [(3, "id_number")]
    assert applicant not in done.stdout + done.stderr and child not in done.stdout + done.stderr

    [lead] = fetch(system, "SELECT * FROM discovery.lead_view WHERE household_id = $1", household_id)
    assert lead["status"] == "open" and sorted(lead["member_id_numbers"]) == sorted([applicant, child])
    event = raised_on_the_broker(system, str(lead["lead_id"]).encode())
    assert event is not None, "aid.lead.raised did not reach the broker"
    assert event["event_type"] == "aid.lead.raised.v1" and event["data"]["members"] == 2
    [rule] = event["data"]["rules"]
    assert rule["figures"] == ("medical spending 16,800.00 yuan in 90 days ≥ 50% of the household's annual income "
                               "30,000.00 yuan")
    assert child not in json.dumps(event) and household_id not in json.dumps(event)

    again = cli(system, "monitor", "import", str(path))
    assert again.returncode == 0, again.stderr
    assert "0 leads raised" in again.stdout and "2 rows already loaded" in again.stdout
    assert len(fetch(system, "SELECT 1 FROM discovery.leads WHERE household_id = $1", household_id)) == 1

    unreadable = cli(system, "monitor", "import", str(tmp_path / "missing.csv"))
    assert unreadable.returncode == 2 and "nothing was loaded" in unreadable.stderr

"""Registries instead of paper, end to end: load the registries, apply, and the registry's figures decide."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import asyncpg

from jointaid.bench import _renumber
from tests.conftest import EXAMPLES, EXPECTED
from tests.e2e.conftest import ROOT, start_system, stop_system


def line(member: dict, **changes) -> str:
    record = {"id_number": member["id_number"], "household_id": "h-e2e", "hukou_region": "610630", "alive": True,
              "disability_grade": member.get("disability_grade"), "monthly_income_fen": member["monthly_income_fen"],
              "financial_assets_fen": 0, "vehicles": 0}
    record.update(changes)
    return json.dumps(record)


def test_imported_registry_figures_decide_and_the_reason_names_them(system, tmp_path):
    body = _renumber(EXAMPLES["A"], 900)  # mla, 4 members; member 1 declares 2,500 yuan a month
    members = body["household"]["members"]
    registry_file = tmp_path / "registry.jsonl"
    registry_file.write_text("\n".join([
        line(members[0], monthly_income_fen=310_000, financial_assets_fen=500_000),  # the income registry: 3,100 yuan
        *(line(m) for m in members[1:]),
        '{"id_number": "not a person"}',
    ]) + "\n")
    loaded = subprocess.run([sys.executable, "-m", "jointaid.cli", "registry", "import", str(registry_file),
                             "--data-dir", str(system.data_dir)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert loaded.returncode == 0, loaded.stderr
    assert "refused" in loaded.stdout and "line 5" in loaded.stdout
    for member in members:
        assert member["id_number"] not in loaded.stdout + loaded.stderr  # no personal data in the tool's output

    view = system.wait_status(system.submit(body))
    living = view["decisions"][0]  # ordered by layer
    assert (living["program"], living["amount_fen"]) == ("mla", 855 * 100 * 4 - 310_000)
    assert "declared income 2,500.00 yuan; the income registry shows 3,100.00 yuan" in living["reason"]
    assert view["payment"]["total_fen"] == EXPECTED["A"]["total_fen"] - (92_000 - 32_000)
    assert "按申报信息认定" not in view["notification"]["text"]  # every member was in the registries
    with system.client() as client:
        page = client.get(f"/console/applications/{view['application_id']}").text
    assert 'id="registries"' in page and "income" in page
    assert all(m["id_number"] not in page for m in members)


def test_a_department_posts_registry_lines(system):
    body = _renumber(EXAMPLES["B"], 901)  # B: house fire, the household earns 7,000 a month
    lines = [line(m) for m in body["household"]["members"]]
    with system.client("department") as client:
        answer = client.post("/v1/registry/records", content="\n".join(lines + ['{"id_number": 1}']),
                             headers={"Content-Type": "application/x-ndjson"})
        assert answer.status_code == 202, answer.text
        summary = answer.json()
        assert (summary["read"], summary["accepted"]) == (len(lines) + 1, len(lines))
        assert summary["refused"] and all(r["line"] == len(lines) + 1 for r in summary["refused"])
        all_bad = client.post("/v1/registry/records", content='{"nope": true}', headers={"Content-Type": "application/x-ndjson"})
        assert all_bad.status_code == 422 and all_bad.json()[0]["field"].startswith("line 1")
    with system.client("caseworker") as client:
        assert client.post("/v1/registry/records", content="\n".join(lines),
                           headers={"Content-Type": "application/x-ndjson"}).status_code == 403
    ids = [m["id_number"] for m in body["household"]["members"]]

    async def loaded() -> int:
        conn = await asyncpg.connect(system.database_url)
        try:
            return await conn.fetchval("SELECT count(*) FROM registries.persons WHERE id_number = ANY($1)", ids)
        finally:
            await conn.close()
    deadline = time.monotonic() + 30
    while asyncio.run(loaded()) < len(ids):  # through intake's outbox and the registries' consumer
        assert time.monotonic() < deadline, "the posted records never reached the registries"
        time.sleep(0.2)


def test_a_registry_that_does_not_answer_escalates_then_completes_once(tmp_path):
    system = start_system(tmp_path / "data", env_extra={"JOINTAID_DEADLINE_SECONDS": "2"})
    registries = int((tmp_path / "data" / "run" / "registries.pid").read_text())
    try:
        os.kill(registries, signal.SIGSTOP)  # the registries stop answering
        try:
            application_id = system.submit(EXAMPLES["D"])
            escalated = system.wait_status(application_id, "escalated", timeout=30)
            assert escalated["decisions"] == []  # nothing decided on unchecked facts
        finally:
            os.kill(registries, signal.SIGCONT)
        view = system.wait_status(application_id, "notified", timeout=60)
        assert view["payment"]["total_fen"] == EXPECTED["D"]["total_fen"]  # nobody registered: the declaration decides
        assert "按申报信息认定" in view["notification"]["text"]
    finally:
        stop_system(system)

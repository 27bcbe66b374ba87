"""A region's caseload moved in with `jointaid caseload import` and read through GET /v1/recipients, on a running system."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import date

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer

from contracts.idnumber import masked
from jointaid.embedded import broker_address
from services.caseload.amounts import next_period, recipient_id_of, review_due_on
from services.kit.policy import today_in_shanghai
from tests.caseload_lines import household, jsonl
from tests.e2e.conftest import ROOT
from tests.e2e.test_access import citizen_token

REGION = "140100"  # this module's households only, so the listing can be checked whole
COUNTS = ("SELECT (SELECT count(*) FROM caseload.recipient_history WHERE recipient_id = ANY($1::uuid[])) AS history,"
          " (SELECT count(*) FROM caseload.outbox WHERE application_id = ANY($1::uuid[])) AS events,"
          " (SELECT count(*) FROM caseload.outbox WHERE application_id = ANY($1::uuid[])"
          "  AND id NOT IN (SELECT id FROM caseload.outbox_pending))"
          " AS published")


def caseload_import(system, path) -> tuple[int, dict, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")}
    done = subprocess.run([sys.executable, "-m", "jointaid.cli", "caseload", "import", str(path), "--json",
                           "--data-dir", str(system.data_dir)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout), done.stderr


def fetch(system, query: str, *args):
    async def run():
        conn = await asyncpg.connect(system.database_url)
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()
    return asyncio.run(run())


def changed_on_the_broker(system, keys: set[bytes], wanted: int, timeout: float = 30) -> list[dict]:
    """The aid.recipient.changed events keyed by `keys`, read from the broker until `wanted` have come."""
    async def read():
        consumer = AIOKafkaConsumer("aid.recipient.changed", bootstrap_servers=broker_address(system.data_dir),
                                    auto_offset_reset="earliest", group_id=f"probe-{uuid.uuid4().hex[:8]}",
                                    enable_auto_commit=False)
        await consumer.start()
        found = []
        try:
            deadline = time.monotonic() + timeout
            while len(found) < wanted and time.monotonic() < deadline:
                for records in (await consumer.getmany(timeout_ms=1000)).values():
                    found += [json.loads(r.value) for r in records if r.key in keys]
        finally:
            await consumer.stop()
        return found
    return asyncio.run(read())


@pytest.fixture(scope="module")
def lines() -> dict[str, dict]:
    return {"mla": household("mla", (40_000, 20_000), region_code=REGION),              # 855 x 2 - 600 = 1,110 yuan
            "poor": household("extreme_poverty", (0,), region_code=REGION, care_level="semi_disabled"),  # 1,120 + 370
            "margin": household("low_income", (60_000, 50_000, 0), region_code=REGION)}  # no cash


@pytest.fixture(scope="module")
def imported(system, lines, tmp_path_factory):
    stranger = household("mla", (0,), region_code=REGION)
    path = tmp_path_factory.mktemp("caseload") / "caseload.jsonl"
    path.write_bytes(jsonl(lines["mla"], b'{"applicant_id_number": "1', lines["poor"],
                           {**stranger, "applicant_id_number": lines["mla"]["applicant_id_number"]}, lines["margin"]))
    return path, caseload_import(system, path)


def test_the_file_is_loaded_and_its_bad_lines_named_by_number_and_rule(imported):
    _, (status, summary, stderr) = imported
    assert status == 1  # some lines were refused; the rest is loaded
    assert (summary["read"], summary["new"], summary["updated"], summary["unchanged"], summary["refused"]) == (5, 3, 0, 0, 2)
    assert [(r["line"], r["field"]) for r in summary["refusals"]] == [(2, None), (4, "applicant_id_number")]
    assert summary["refusals"][0]["message"].startswith("malformed JSON")
    assert summary["refusals"][1]["message"] == "applicant is not among the household members"
    assert summary["first_period"] == next_period(today_in_shanghai()) and summary["zero_amount"] == 0
    assert "caseload import:" in stderr


def test_caseworkers_list_the_households_with_masked_id_numbers_and_amounts_by_the_rules(system, lines, imported):
    with system.client("caseworker") as client:
        listed = client.get("/v1/recipients", params={"region": REGION}).json()
        by_status = {r["status"]: r for r in listed["recipients"]}
        assert sorted(by_status) == ["extreme_poverty", "low_income", "mla"] and listed["next_after"] is None
        assert {s: r["monthly_amount_fen"] for s, r in by_status.items()} == {
            "mla": 111_000, "extreme_poverty": 149_000, "low_income": 0}
        for name, line in lines.items():
            shown = by_status[line["status"]]
            assert shown["recipient_id"] == str(recipient_id_of(line["applicant_id_number"]))
            assert shown["members"] == [{"id_number": masked(m["id_number"]), "name": m["name"], "relation": m["relation"]}
                                        for m in line["members"]]
            assert "history" not in shown
        assert not any(m["id_number"] in json.dumps(listed) for line in lines.values() for m in line["members"])
        first = client.get("/v1/recipients", params={"region": REGION, "limit": 2}).json()
        rest = client.get("/v1/recipients", params={"region": REGION, "limit": 2, "after": first["next_after"]}).json()
        assert [r["recipient_id"] for r in first["recipients"] + rest["recipients"]] == sorted(
            r["recipient_id"] for r in listed["recipients"]) and rest["next_after"] is None
        only_mla = client.get("/v1/recipients", params={"region": REGION, "status": "mla"}).json()["recipients"]
        assert [r["status"] for r in only_mla] == ["mla"]


def test_one_household_with_its_history_and_the_read_in_the_access_log(system, lines, imported):
    recipient_id = str(recipient_id_of(lines["mla"]["applicant_id_number"]))
    with system.client("caseworker") as client:
        detail = client.get(f"/v1/recipients/{recipient_id}", params={"purpose": "monthly check"}).json()
    assert (detail["status"], detail["monthly_amount_fen"], detail["enrolled_on"]) == ("mla", 111_000, "2025-06-01")
    assert detail["next_review_on"] == review_due_on(date(2025, 6, 1)).isoformat()
    assert [(h["change"], h["monthly_amount_fen"]) for h in detail["history"]] == [("imported", 111_000)]
    assert "1,710.00 − income 600.00 = 1,110.00" in detail["history"][0]["reason"]
    with system.client("operator") as client:
        log = client.get("/v1/access-log", params={"application_id": recipient_id}).json()["entries"]
    reads = [(e["subject"], e["role"], e["what"], e["purpose"]) for e in log]
    assert ("e2e-caseworker", "caseworker", "recipient", "monthly check") in reads
    assert ("e2e-caseworker", "caseworker", "recipient list", None) in reads


def test_bad_filters_unknown_ids_and_other_roles_are_refused(system, imported):
    with system.client("caseworker") as client:
        for params, field in (({"status": "none"}, "query.status"), ({"region": "14"}, "query.region"),
                              ({"limit": 501}, "query.limit"), ({"limit": 0}, "query.limit"),
                              ({"after": "last"}, "query.after")):
            answer = client.get("/v1/recipients", params=params)
            assert answer.status_code == 422 and [e["field"] for e in answer.json()] == [field], (params, answer.text)
        assert client.get("/v1/recipients", params={"region": "14"}).json()[0]["message"] == "region code must be 6 digits"
        assert client.get(f"/v1/recipients/{uuid.uuid4()}").status_code == 404
        assert client.get("/v1/recipients/not-an-id").status_code == 422
    citizen = {"Authorization": f"Bearer {citizen_token(system, str(uuid.uuid4()))}"}
    with system.client("department") as department, system.client(None) as anonymous:
        for path in ("/v1/recipients", f"/v1/recipients/{uuid.uuid4()}"):
            assert department.get(path).status_code == 403
            assert anonymous.get(path, headers=citizen).status_code == 403
            assert anonymous.get(path).status_code == 401


def test_the_events_reach_the_broker_and_the_same_file_again_changes_nothing(system, lines, imported):
    path, _ = imported
    ids = [recipient_id_of(line["applicant_id_number"]) for line in lines.values()]
    published = changed_on_the_broker(system, {str(i).encode() for i in ids}, wanted=3)
    assert sorted(e["data"]["status"] for e in published) == ["extreme_poverty", "low_income", "mla"]
    assert {(e["event_type"], e["data"]["change"]) for e in published} == {("aid.recipient.changed.v1", "imported")}
    deadline = time.monotonic() + 10  # the relay marks a row published once the broker acknowledged it
    while (before := dict(fetch(system, COUNTS, ids)[0]))["published"] < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert before == {"history": 3, "events": 3, "published": 3}
    status, again, _ = caseload_import(system, path)
    assert (status, again["new"], again["updated"], again["unchanged"], again["refused"]) == (1, 0, 0, 3, 2)
    assert dict(fetch(system, COUNTS, ids)[0]) == before  # no history row, no event


def test_a_changed_line_updates_the_household(system, lines, imported, tmp_path):
    line = lines["mla"]
    changed = {**line, "members": [{**line["members"][0], "monthly_income_fen": 10_000}, line["members"][1]]}
    path = tmp_path / "changed.jsonl"
    path.write_bytes(jsonl(changed, lines["poor"]))
    status, summary, _ = caseload_import(system, path)
    assert (status, summary["new"], summary["updated"], summary["unchanged"], summary["refused"]) == (0, 0, 1, 1, 0)
    recipient_id = str(recipient_id_of(line["applicant_id_number"]))
    with system.client("caseworker") as client:
        detail = client.get(f"/v1/recipients/{recipient_id}").json()
    assert detail["monthly_amount_fen"] == 171_000 - 30_000
    assert [(h["change"], h["monthly_amount_fen"]) for h in detail["history"]] == [("imported", 111_000), ("imported", 141_000)]
    published = changed_on_the_broker(system, {recipient_id.encode()}, wanted=2)
    assert [e["data"]["monthly_amount_fen"] for e in published] == [111_000, 141_000]

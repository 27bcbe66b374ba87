"""Policy finds the person, end to end: registries loaded, a department posts signals, a lead is raised, a caseworker
records the household's consent, and the prefilled application goes through the whole chain (or, refused, nothing)."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import asyncpg
import httpx
import pytest

from contracts.idnumber import check_digit, masked
from services.kit.policy import today_in_shanghai
from tests.e2e.conftest import ROOT

NDJSON = {"Content-Type": "application/x-ndjson"}
ACCOUNT = {"kind": "social_security_card", "number": "6222020200004321"}


def id_number(birth: str, seq: int) -> str:
    first17 = f"610630{birth}{seq:03d}"
    return first17 + check_digit(first17)


# household 1: 1,000 + 1,500 yuan a month (30,000 a year); the child's bills reach 16,800 yuan in 90 days
APPLICANT, SPOUSE, CHILD = id_number("19710712", 711), id_number("19730215", 722), id_number("20120509", 733)
# household 2: a hotline report (always a lead); the household says no
REPORTED = id_number("19660101", 744)
# household 3: another report; two caseworkers record its consent at the same moment
RACED = id_number("19680303", 755)
INCOMES = {APPLICANT: 100_000, SPOUSE: 150_000, CHILD: 0}


def registry_line(number: str, household: str, income: int, **changes) -> str:
    return json.dumps({"id_number": number, "household_id": household, "hukou_region": "610630", "alive": True,
                       "disability_grade": None, "monthly_income_fen": income, "financial_assets_fen": 0, "vehicles": 0,
                       **changes})


def signal(number: str, kind: str, days_ago: int, amount_fen: int | None = None) -> str:
    return json.dumps({"id_number": number, "signal": kind, "amount_fen": amount_fen,
                       "observed_on": (today_in_shanghai() - timedelta(days=days_ago)).isoformat(), "source": "e2e:leads"})


def query(system, sql: str, *args):
    async def run():
        conn = await asyncpg.connect(system.database_url)
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()
    return asyncio.run(run())


def wait_for(what: str, found, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while (value := found()) in (None, [], False):
        assert time.monotonic() < deadline, f"{what} not within {timeout}s"
        time.sleep(0.3)
    return value


def open_lead_of(system, person: str) -> dict | None:
    with system.client("caseworker") as client:
        listed = client.get("/v1/leads", params={"status": "open", "limit": 500})
    assert listed.status_code == 200, listed.text
    return next((lead for lead in listed.json()["leads"] if lead["household"]["person_id_number"] == masked(person)), None)


@pytest.fixture(scope="module")
def registries(system, tmp_path_factory):
    """Both households in the registries, through `jointaid registry import` (synchronous: loaded when it returns)."""
    path = tmp_path_factory.mktemp("leads") / "registry.jsonl"
    path.write_text("\n".join([*(registry_line(n, "h-lead-1", income) for n, income in INCOMES.items()),
                               registry_line(REPORTED, "h-lead-2", 50_000), registry_line(RACED, "h-lead-3", 0)]) + "\n")
    loaded = subprocess.run([sys.executable, "-m", "jointaid.cli", "registry", "import", str(path), "--data-dir",
                             str(system.data_dir)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert loaded.returncode == 0, loaded.stderr
    return system


def test_signals_raise_a_lead_and_consent_makes_an_application_through_the_whole_chain(registries):
    system = registries
    lines = [signal(CHILD, "medical_spending", 40, 1_200_000), signal(CHILD, "medical_spending", 3, 480_000),
             '{"id_number": "not a person", "signal": "report"}']
    with system.client("department") as client:
        posted = client.post("/v1/signals", content="\n".join(lines), headers=NDJSON)
        assert posted.status_code == 202, posted.text
        summary = posted.json()
        assert (summary["read"], summary["accepted"], [r["line"] for r in summary["refused"]]) == (3, 2, [3])
        assert client.post("/v1/signals", content=lines[2], headers=NDJSON).status_code == 422  # all bad

    lead = wait_for("the lead", lambda: open_lead_of(system, CHILD))  # the person the first signal named
    assert lead["household"] == {"person_id_number": masked(CHILD), "members": 3}
    assert CHILD not in json.dumps(lead)
    [rule] = lead["rules"]
    assert rule["rule"] == "medical_spending" and "16,800.00 yuan" in rule["figures"] and "30,000.00" in rule["figures"]
    assert (lead["status"], lead["region_code"], lead["application_id"]) == ("open", "610630", None)
    with system.client("operator") as client:
        console = client.get("/console").text
    assert lead["lead_id"] in console and rule["figures_zh"] in console and CHILD not in console
    logged = query(system, "SELECT what FROM intake.access_log WHERE application_id = $1", uuid.UUID(lead["lead_id"]))
    assert "lead list" in {r["what"] for r in logged}  # masked ID numbers are still personal data

    body = {"given": True, "channel": "outreach", "at": f"{today_in_shanghai().isoformat()}T00:00:00+08:00",
            "phone": "13800004321", "payout_account": ACCOUNT, "applicant_id_number": APPLICANT,
            "applicant_name": "王建国", "names": [{"id_number": SPOUSE, "name": "李梅"}]}
    with system.client("caseworker") as client:
        consented = client.post(f"/v1/leads/{lead['lead_id']}/consent", json=body)
        assert consented.status_code == 201, consented.text
        answer = consented.json()
        assert (answer["lead_id"], answer["status"], answer["given"]) == (lead["lead_id"], "submitted", True)
        again = client.post(f"/v1/leads/{lead['lead_id']}/consent", json=body)
        assert again.status_code == 409 and again.json()[0]["field"] == "lead_id"  # one answer per lead, at once
        assert client.get(f"/v1/leads/{lead['lead_id']}").json()["status"] == "closed"

    application_id = answer["application_id"]
    view = system.wait_status(application_id, timeout=90)
    [submission] = query(system, "SELECT submission, registered_by FROM intake.applications WHERE application_id = $1",
                         uuid.UUID(application_id))
    prefilled = json.loads(submission["submission"])
    assert submission["registered_by"] == "e2e-caseworker" and prefilled["channel"] == "outreach"
    assert {m["id_number"]: m["monthly_income_fen"] for m in prefilled["household"]["members"]} == INCOMES
    assert sorted(b["total_fen"] for b in prefilled["needs"]["medical_bills"]) == [480_000, 1_200_000]
    living = view["decisions"][0]
    assert (living["program"], living["outcome"], living["amount_fen"]) == ("mla", "approved", 855 * 100 * 3 - 250_000)
    assert "declared income" not in living["reason"]  # the registries' incomes were the ones declared
    assert "按申报信息认定" not in view["notification"]["text"]  # every member is in the registries
    with system.client(None) as anonymous:  # the answer's citizen token reads it
        anonymous.headers["Authorization"] = f"Bearer {answer['access_token']}"
        assert anonymous.get(f"/v1/applications/{application_id}").json()["status"] == "notified"
        assert anonymous.get("/v1/leads").status_code == 403

    with system.client("operator") as client:
        page = client.get(f"/console/applications/{application_id}").text
    assert 'id="lead-consent"' in page and lead["lead_id"] in page and "via outreach" in page and "e2e-caseworker" in page

    def closed():
        with system.client("caseworker") as client:
            shown = client.get(f"/v1/leads/{lead['lead_id']}").json()
        published = query(system, "SELECT 1 FROM discovery.outbox WHERE topic = 'aid.lead.closed' AND application_id = $1"
                                  " AND id NOT IN (SELECT id FROM discovery.outbox_pending)", uuid.UUID(lead["lead_id"]))
        return shown if published and shown["closed_at"] else None
    shown = wait_for("aid.lead.closed", closed)
    assert (shown["status"], shown["outcome"], shown["application_id"]) == ("closed", "application", application_id)
    assert shown["consent"]["given"] is True and shown["consent"]["recorded_by"] == "e2e-caseworker"
    [lead_row] = query(system, "SELECT status, application_id FROM discovery.lead_view WHERE lead_id = $1",
                       uuid.UUID(lead["lead_id"]))
    assert (lead_row["status"], str(lead_row["application_id"])) == ("closed", application_id)  # discovery's own view


def test_consent_refused_closes_the_lead_and_registers_nothing(registries):
    system = registries
    with system.client("department") as client:
        assert client.post("/v1/signals", content=signal(REPORTED, "report", 1), headers=NDJSON).status_code == 202
    lead = wait_for("the reported household's lead", lambda: open_lead_of(system, REPORTED))
    assert [r["rule"] for r in lead["rules"]] == ["report"]
    refused = {"given": False, "channel": "hotline", "at": f"{today_in_shanghai().isoformat()}T00:00:00+08:00"}
    with system.client("caseworker") as client:
        with_data = client.post(f"/v1/leads/{lead['lead_id']}/consent", json={**refused, "phone": "13800004321"})
        assert with_data.status_code == 422 and with_data.json()[0]["field"] == "phone"  # a refusal keeps nothing
        answer = client.post(f"/v1/leads/{lead['lead_id']}/consent", json=refused)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"lead_id": lead["lead_id"], "given": False, "application_id": None,
                                 "access_token": None, "status": "consent_refused"}
        assert client.post(f"/v1/leads/{lead['lead_id']}/consent", json=refused).status_code == 409
    assert open_lead_of(system, REPORTED) is None

    def closed():
        rows = query(system, "SELECT status, outcome, application_id FROM discovery.lead_view WHERE lead_id = $1",
                     uuid.UUID(lead["lead_id"]))
        return rows if rows[0]["status"] == "closed" else None
    [row] = wait_for("the refused lead closed", closed)
    assert (row["outcome"], row["application_id"]) == ("consent_refused", None)
    registered = query(system, "SELECT count(*) AS n FROM intake.applications WHERE submission->>'applicant_id_number' = $1",
                       REPORTED)
    assert registered[0]["n"] == 0


def test_unknown_leads_bad_answers_and_who_may_ask(system):
    unknown = "00000000-0000-4000-8000-000000000000"
    given = {"given": True, "channel": "outreach", "at": "2026-01-01T00:00:00+08:00", "phone": "13800004321",
             "payout_account": ACCOUNT}
    with system.client("caseworker") as client:
        missing = client.post(f"/v1/leads/{unknown}/consent", json=given)
        assert missing.status_code == 404 and "no lead with this id" in missing.json()[0]["message"]
        assert client.get(f"/v1/leads/{unknown}").status_code == 404
        no_account = client.post(f"/v1/leads/{unknown}/consent", json={k: v for k, v in given.items() if k != "payout_account"})
        assert no_account.status_code == 422 and no_account.json()[0]["field"] == "payout_account"
        future = client.post(f"/v1/leads/{unknown}/consent", json={**given, "at": "2999-01-01T00:00:00+08:00"})
        assert future.status_code == 422 and future.json()[0]["message"] == "consent time is in the future"
        assert client.get("/v1/leads", params={"rule": "gossip"}).status_code == 422
        assert client.post("/v1/signals", content=signal(REPORTED, "report", 1), headers=NDJSON).status_code == 403
    for role in ("department", "approver"):
        with system.client(role) as client:
            assert client.get("/v1/leads").status_code == 403
            assert client.post(f"/v1/leads/{unknown}/consent", json=given).status_code == 403
    with system.client("operator") as client:
        assert client.get("/v1/leads").status_code == 200  # operators read what caseworkers read
        assert client.post(f"/v1/leads/{unknown}/consent", json=given).status_code == 403  # a caseworker records it


def test_two_consents_at_once_make_one_application(registries):
    system = registries
    with system.client("department") as client:
        assert client.post("/v1/signals", content=signal(RACED, "report", 2), headers=NDJSON).status_code == 202
    lead = wait_for("the raced household's lead", lambda: open_lead_of(system, RACED))
    body = {"given": True, "channel": "window", "at": f"{today_in_shanghai().isoformat()}T00:00:00+08:00",
            "phone": "13800004321", "payout_account": ACCOUNT}

    async def both():
        headers = {"Authorization": f"Bearer {system.token('caseworker')}"}
        async with httpx.AsyncClient(base_url=system.base, timeout=20, headers=headers) as client:
            return await asyncio.gather(*(client.post(f"/v1/leads/{lead['lead_id']}/consent", json=body) for _ in range(2)))
    answers = asyncio.run(both())
    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    registered = query(system, "SELECT count(*) AS n FROM intake.applications WHERE submission->>'applicant_id_number' = $1",
                       RACED)
    assert registered[0]["n"] == 1
    system.wait_status(next(a.json()["application_id"] for a in answers if a.status_code == 201), timeout=90)

"""The annual review (年审) end to end, on a private system: households enrolled by application, their registry
facts changed, then POST /v1/reviews re-decides every one due, once, with one message to each that changed."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from datetime import date

import asyncpg
import pytest

from contracts.reviews import effective_period
from jointaid.bench import _renumber
from services.caseload import amounts
from services.caseload.review_rules import review_policy
from services.kit.policy import today_in_shanghai
from tests.conftest import EXAMPLES
from tests.e2e.conftest import ROOT, start_system, stop_system

# name -> (worked example, serial for fresh ID numbers, member 1's income in the registry (None: unknown), language)
HOUSEHOLDS = {
    "continued": ("A", 711, None, "zh"),      # mla, the same facts
    "adjusted": ("A", 712, 180_000, "zh"),    # mla, member 1 earns 1,800 yuan instead of 2,500
    "changed": ("D", 713, 180_000, "en"),     # low_income -> mla: 1,800 yuan for 3 is under the standard
    "exited": ("C", 714, 180_000, "zh"),      # extreme_poverty, alone, now earns 1,800 yuan: over the low-income line
}


@pytest.fixture(scope="module")
def review_system(tmp_path_factory):
    running = start_system(tmp_path_factory.mktemp("review") / "data")
    yield running
    stop_system(running)


async def query(url: str, sql: str, *args):
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


def rows(system, sql: str, *args):
    return asyncio.run(query(system.database_url, sql, *args))


def wait_for(check, what: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what} within {timeout}s"
        time.sleep(0.3)


def registry_line(body: dict, member: dict, income: int) -> str:
    return json.dumps({"id_number": member["id_number"], "household_id": f"h-{body['applicant_id_number'][-6:]}",
                       "hukou_region": body["region_code"], "alive": True, "disability_grade": member.get("disability_grade"),
                       "monthly_income_fen": income, "financial_assets_fen": 0, "vehicles": 0})


def review_until_done(client, as_of: date) -> dict:
    answer = client.post("/v1/reviews", json={"as_of": as_of.isoformat()})
    assert answer.status_code == 202, answer.text
    review_id = answer.json()["review_id"]
    return wait_for(lambda: (view := client.get(f"/v1/reviews/{review_id}").json())["status"] == "done" and view,
                    f"review {as_of} done")


def test_the_annual_review_re_decides_each_household_due_once_and_tells_those_that_changed(review_system, tmp_path):
    system = review_system
    bodies = {}
    for name, (example, serial, _, language) in HOUSEHOLDS.items():
        bodies[name] = _renumber(EXAMPLES[example], serial) | {"language": language}
    application_ids = {name: system.submit(body) for name, body in bodies.items()}
    for application_id in application_ids.values():
        system.wait_status(application_id)
    recipient_ids = {name: amounts.recipient_id_of(body["applicant_id_number"]) for name, body in bodies.items()}
    wait_for(lambda: len(rows(system, "SELECT 1 FROM caseload.recipients WHERE recipient_id = ANY($1::uuid[])",
                              list(recipient_ids.values()))) == 4, "every household enrolled")
    enrolled_on = today_in_shanghai()  # the submission date (Asia/Shanghai) is the enrolment date

    # the registries learn the households' incomes after enrolment: only the review can see them
    registry_file = tmp_path / "registry.jsonl"
    registry_file.write_text("".join(registry_line(bodies[name], bodies[name]["household"]["members"][0], income) + "\n"
                                     for name, (_, _, income, _) in HOUSEHOLDS.items() if income is not None))
    loaded = subprocess.run([sys.executable, "-m", "jointaid.cli", "registry", "import", str(registry_file),
                             "--data-dir", str(system.data_dir)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert loaded.returncode == 0, loaded.stderr

    with system.client("operator") as client:
        # refusals change nothing: a caseworker may not start one, a bad body names its rule
        with system.client("caseworker") as caseworker:
            assert caseworker.post("/v1/reviews", json={"as_of": "2027-01-01"}).status_code == 403
        bad = client.post("/v1/reviews", json={"as_of": "2027-01-01", "period": "2027-01"})
        assert bad.status_code == 422 and bad.json()[0]["field"] == "period"
        assert client.post("/v1/reviews", json={"as_of": "next year"}).json()[0]["field"] == "as_of"
        assert client.get("/v1/reviews/00000000-0000-4000-8000-000000000000").status_code == 404

        # a day before their first anniversary nobody is due
        early = review_until_done(client, date.fromordinal(amounts.add_months(enrolled_on, 12).toordinal() - 1))
        assert (early["reviewed"], early["continued"], early["adjusted"], early["changed"], early["exited"]) == (0, 0, 0, 0, 0)

        as_of = amounts.add_months(enrolled_on, 12)
        started = time.monotonic()
        done = review_until_done(client, as_of)
        took = time.monotonic() - started
        assert {k: done[k] for k in ("as_of", "reviewed", "continued", "adjusted", "changed", "exited")} == \
            {"as_of": as_of.isoformat(), "reviewed": 4, "continued": 1, "adjusted": 1, "changed": 1, "exited": 1}
        again = client.post("/v1/reviews", json={"as_of": as_of.isoformat()})
        assert again.status_code == 200 and again.json()["review_id"] == done["review_id"]

    period, policy = effective_period(as_of), review_policy(as_of)
    standard = policy.minimum_living_standard_fen
    expected = {  # (outcome, status, monthly amount) under the version in force from `period`
        "continued": ("continued", "mla", standard * 4 - 250_000),
        "adjusted": ("adjusted", "mla", standard * 4 - 180_000),
        "changed": ("changed", "mla", standard * 3 - 180_000),
        "exited": ("exited", "exited", 0),
    }
    outcomes = {r["recipient_id"]: r for r in rows(system, "SELECT * FROM caseload.review_outcomes WHERE review_id = $1::uuid",
                                                    done["review_id"])}
    recipients = {r["recipient_id"]: r for r in rows(system, "SELECT * FROM caseload.recipients WHERE recipient_id = ANY($1::uuid[])",
                                                      list(recipient_ids.values()))}
    for name, recipient_id in recipient_ids.items():
        outcome, row = outcomes[recipient_id], recipients[recipient_id]
        assert (outcome["outcome"], outcome["status"], outcome["monthly_amount_fen"]) == expected[name], name
        assert (row["status"], row["monthly_amount_fen"]) == expected[name][1:], name
        assert outcome["effective_period"] == row["changed_from"] == period
        assert row["next_review_on"] == amounts.review_due_on(as_of)
        assert row["exited_from"] == (period if name == "exited" else None)
        assert row["prior_status"] == {"continued": "mla", "adjusted": "mla", "changed": "low_income", "exited": "extreme_poverty"}[name]
        # runs before the effective period pay by the prior terms, from it by the new ones (or not at all)
        terms = [amounts.terms_for_period(p, row["status"], row["facts"], row["exited_from"], row["prior_status"],
                                          row["prior_facts"], row["changed_from"]) for p in (amounts.period_of(as_of), period)]
        assert terms[0][0] == row["prior_status"]
        assert terms[1] == (None if name == "exited" else (row["status"], row["facts"]))
        assert policy.version in outcome["reason"] and outcome["reason_zh"]
    changed_registry = "income on record 2,500.00 yuan; the income registry now shows 1,800.00 yuan"
    assert changed_registry in outcomes[recipient_ids["adjusted"]]["reason"]
    assert "the income registry now shows 1,800.00 yuan" in outcomes[recipient_ids["exited"]]["reason"]
    assert "low-income line" in outcomes[recipient_ids["exited"]]["reason"]
    assert "Registries" not in outcomes[recipient_ids["continued"]]["reason"]

    history = rows(system, "SELECT recipient_id, change, effective_period, reason FROM caseload.recipient_history"
                           " WHERE recipient_id = ANY($1::uuid[]) ORDER BY id", list(recipient_ids.values()))
    for name, recipient_id in recipient_ids.items():
        changes = [(h["change"], h["effective_period"]) for h in history if h["recipient_id"] == recipient_id]
        assert changes == [("enrolled", amounts.next_period(enrolled_on)), (expected[name][0], period)], name

    # one message to each household whose status or amount changed, none to the continued one
    messages = wait_for(lambda: (found := rows(system, "SELECT * FROM notification.review_messages WHERE review_id = $1::uuid",
                                               done["review_id"])) and len(found) == 3 and found, "three review messages")
    texts = {m["recipient_id"]: m["text"] for m in messages}
    assert recipient_ids["continued"] not in texts
    year, month = (int(part) for part in period.split("-"))
    head = f"年审结果：自{year}年{month}月起，"
    assert texts[recipient_ids["adjusted"]].startswith(
        f"{head}您家的低保金调整为每月 {(standard * 4 - 180_000) // 100:,}.00 元（原 {(standard * 4 - 250_000) // 100:,}.00 元）。原因：")
    assert texts[recipient_ids["exited"]].startswith(f"{head}您家不再享受特困供养。原因：")
    assert texts[recipient_ids["changed"]].startswith("Annual review: from ")
    assert "from low-income (margin) status to minimum living allowance" in texts[recipient_ids["changed"]]
    for body in bodies.values():  # no personal data in a message
        assert all(m["id_number"] not in text and m["name"] not in text for m in body["household"]["members"] for text in texts.values())

    # asking again reviewed nobody twice; a review the next day finds nobody due until next year
    time.sleep(1.0)
    with system.client("caseworker") as client:
        view = client.get(f"/v1/reviews/{done['review_id']}").json()
    assert view == done
    assert len(rows(system, "SELECT 1 FROM caseload.review_outcomes WHERE recipient_id = ANY($1::uuid[])",
                    list(recipient_ids.values()))) == 4
    assert len(rows(system, "SELECT 1 FROM notification.review_messages WHERE recipient_id = ANY($1::uuid[])",
                    list(recipient_ids.values()))) == 3
    with system.client("operator") as client:
        later = review_until_done(client, date.fromordinal(as_of.toordinal() + 1))
    assert later["reviewed"] == 0
    # the applications the households came with are untouched by the messages' notification.sent (keyed by household)
    with system.client("operator") as client:
        assert all(client.get(f"/v1/applications/{i}").json()["status"] == "notified" for i in application_ids.values())
    print(f"review of 4 households: requested to done in {took:.2f} s")

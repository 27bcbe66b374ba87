"""Appeals end to end (DOMAIN.md "Appeals"), through `jointaid up` and its HTTP API.

- an appeal that raises: a new medical bill on layer 2 of worked example A (mla) -> medical insurance decides
  layers 2 and 3 again, civil affairs and the Red Cross follow; exactly the rules' difference is paid as one
  `supplement` payment, one new notice, the application's own payment and notice unchanged, audit clean;
- an appeal that lowers: example C (extreme poverty) appeals layer 1 with an able legal supporter -> the
  new total is lower: upheld, nothing paid back, no payment, one notice that the decision stands;
- a late appeal (the notice made 61 days old in intake's table) -> 422 naming appeal_window, nothing filed;
- a citizen token of another application -> 403; one open appeal at a time -> 409; no notice yet -> 409.
"""
from __future__ import annotations

import asyncio
import copy
import time
from datetime import datetime, timedelta, timezone

import asyncpg
import httpx
import pytest

from tests.conftest import EXAMPLES
from tests.e2e.flows import SHANGHAI, assert_audit_clean
from tests.oracle import expected_total_fen

NEW_BILL = {"total_fen": 3_000_000, "basic_reimbursed_fen": 1_500_000, "covered_oop_fen": 1_000_000, "diagnosis": "uremia"}


def query(system, sql: str, *args):
    async def run():
        conn = await asyncpg.connect(system.database_url)
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()
    return asyncio.run(run())


def submit(system, body: dict) -> tuple[str, str]:
    """(application_id, the citizen's access token), registered by a caseworker once the applicant is free."""
    system.wait_applicant_free(body["applicant_id_number"])
    with system.client("caseworker") as client:
        answer = client.post("/v1/applications", json=body)
    assert answer.status_code == 202, answer.text
    return answer.json()["application_id"], answer.json()["access_token"]


def citizen(system, token: str) -> httpx.Client:
    return httpx.Client(base_url=system.base, timeout=10, headers={"Authorization": f"Bearer {token}"})


def wait_appeal(client: httpx.Client, appeal_id: str, timeout: float = 60) -> dict:
    """The appeal once decided and its notice is kept."""
    deadline, view = time.monotonic() + timeout, {}
    while time.monotonic() < deadline:
        view = client.get(f"/v1/appeals/{appeal_id}").json()
        if view.get("status") in ("upheld", "revised") and view.get("notice"):
            return view
        time.sleep(0.2)
    raise AssertionError(f"appeal {appeal_id} not decided within {timeout}s: {view}")


@pytest.fixture(scope="module")
def notified(system) -> dict[str, tuple[str, str, dict]]:
    """Examples A, B, C submitted and notified: name -> (application_id, citizen token, view)."""
    submitted = {name: submit(system, EXAMPLES[name]) for name in ("A", "B", "C")}
    return {name: (application_id, token, system.wait_status(application_id))
            for name, (application_id, token) in submitted.items()}


def test_an_appeal_that_raises_pays_exactly_the_difference_as_one_supplement(system, notified):
    application_id, token, before = notified["A"]
    body = EXAMPLES["A"]
    submitted_on = query(system, "SELECT submitted_at FROM intake.applications WHERE application_id = $1::uuid",
                         application_id)[0]["submitted_at"].astimezone(SHANGHAI).date()
    with_bill = copy.deepcopy(body)
    with_bill["needs"]["medical_bills"].append({"member_id_number": body["applicant_id_number"], **NEW_BILL})
    difference = expected_total_fen(with_bill, submitted_on) - expected_total_fen(body, submitted_on)
    assert difference > 0

    with citizen(system, token) as own:
        filed = own.post(f"/v1/applications/{application_id}/appeals", json={
            "layer": 2, "grounds": "a second hospital stay after the decision", "facts": {"medical_bills": [{"member": 1, **NEW_BILL}]}})
        assert filed.status_code == 202, filed.text
        appeal_id = filed.json()["appeal_id"]
        assert filed.json()["status"] == "filed"
        again = own.post(f"/v1/applications/{application_id}/appeals", json={
            "layer": 4, "grounds": "again", "facts": {"emergency_loss_fen": 100}})
        assert again.status_code == 409 and "appeal_open" in again.json()[0]["message"], again.text
        appeal = wait_appeal(own, appeal_id)
        view = own.get(f"/v1/applications/{application_id}").json()

    assert (appeal["status"], appeal["supplement_fen"], appeal["layer"]) == ("revised", difference, 2)
    assert sorted(d["layer"] for d in appeal["decisions"]) == [2, 3, 4, 5]  # layer 1 keeps its decision
    supplements = query(system, "SELECT payment_id, total_fen, appeal_id, status FROM disbursement.payments"
                                " WHERE application_id = $1::uuid AND kind = 'supplement'", application_id)
    assert [(r["total_fen"], str(r["appeal_id"])) for r in supplements] == [(difference, appeal_id)]
    lines = query(system, "SELECT sum(amount_fen)::bigint AS fen FROM disbursement.payment_lines WHERE payment_id = $1",
                  supplements[0]["payment_id"])
    assert lines[0]["fen"] == difference
    assert view["payment"] == before["payment"] and view["notification"] == before["notification"]  # the first ones stand
    assert {p["kind"] for p in view["payments"]} >= {"application", "supplement"}
    notices = query(system, "SELECT outcome, text FROM notification.appeal_messages WHERE application_id = $1::uuid",
                    application_id)
    assert [n["outcome"] for n in notices] == ["revised"] and f"{difference // 100:,}." in notices[0]["text"]
    assert appeal["notice"]["text"] == notices[0]["text"]
    wait_settled(system, supplements[0]["payment_id"])
    assert_audit_clean(system)


def wait_settled(system, payment_id, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if query(system, "SELECT status FROM disbursement.payments WHERE payment_id = $1", payment_id)[0]["status"] == "settled":
            return
        time.sleep(0.2)
    raise AssertionError(f"supplement {payment_id} not settled")


def test_an_appeal_that_lowers_pays_nothing_back_and_the_decision_stands(system, notified):
    application_id, token, before = notified["C"]
    with system.client("caseworker") as caseworker:  # a caseworker may appeal for the household
        filed = caseworker.post(f"/v1/applications/{application_id}/appeals", json={
            "layer": 1, "grounds": "the household found a son able to support him", "facts": {"has_supporter": True}})
        assert filed.status_code == 202, filed.text
        appeal = wait_appeal(caseworker, filed.json()["appeal_id"])
    assert (appeal["status"], appeal["supplement_fen"], appeal["payment_id"]) == ("upheld", 0, None)
    assert [d["program"] for d in appeal["decisions"] if d["layer"] == 1] == ["mla"]  # no longer extreme poverty
    assert query(system, "SELECT count(*) AS n FROM disbursement.payments WHERE application_id = $1::uuid"
                         " AND kind <> 'application'", application_id)[0]["n"] == 0
    assert query(system, "SELECT count(*) AS n FROM disbursement.ledger_entries e JOIN disbursement.payments p"
                         " USING (payment_id) WHERE p.application_id = $1::uuid AND e.posting NOT IN ('approval', 'settlement')",
                 application_id)[0]["n"] == 0  # nothing reversed, nothing clawed back
    assert "原决定维持" in appeal["notice"]["text"]
    with citizen(system, token) as own:
        assert own.get(f"/v1/applications/{application_id}").json()["payment"] == before["payment"]
    assert_audit_clean(system)


def test_a_late_appeal_is_refused_naming_the_rule(system, notified):
    application_id, token, _ = notified["B"]
    old = (datetime.now(timezone.utc) - timedelta(days=61)).isoformat()
    query(system, "UPDATE intake.applications SET notification = jsonb_set(notification, '{sent_at}', to_jsonb($2::text))"
                  " WHERE application_id = $1::uuid", application_id, old)
    with citizen(system, token) as own:
        late = own.post(f"/v1/applications/{application_id}/appeals", json={
            "layer": 4, "grounds": "the loss was larger", "facts": {"emergency_loss_fen": 12_000_000}})
    assert late.status_code == 422, late.text
    assert late.json()[0]["message"].startswith("appeal_window:") and "60 days" in late.json()[0]["message"]
    assert query(system, "SELECT count(*) AS n FROM intake.appeals WHERE application_id = $1::uuid", application_id)[0]["n"] == 0


def test_a_citizen_token_appeals_and_reads_only_its_own_application(system, notified):
    a_id, a_token, _ = notified["A"]
    b_id, b_token, _ = notified["B"]
    with citizen(system, a_token) as a_citizen:
        refused = a_citizen.post(f"/v1/applications/{b_id}/appeals", json={
            "layer": 4, "grounds": "not mine", "facts": {"emergency_loss_fen": 1}})
        assert refused.status_code == 403, refused.text
        bad = a_citizen.post(f"/v1/applications/{a_id}/appeals", json={"layer": 6, "grounds": "x", "facts": {"members": [
            {"member": 1, "monthly_income_fen": 1.5}]}})
        assert bad.status_code == 422 and {e["field"] for e in bad.json()} == {"layer", "facts.members.0.monthly_income_fen"}
        unknown = a_citizen.post(f"/v1/applications/{a_id}/appeals", json={"layer": 1, "grounds": "x", "facts": {"members": [
            {"member": 9, "monthly_income_fen": 0}]}})
        assert unknown.status_code == 422 and "appeal_member_unknown" in unknown.json()[0]["message"]
    appeal_ids = [str(r["appeal_id"]) for r in query(system, "SELECT appeal_id FROM intake.appeals WHERE application_id = $1::uuid",
                                                     a_id)]
    with citizen(system, b_token) as b_citizen:
        for appeal_id in appeal_ids:
            assert b_citizen.get(f"/v1/appeals/{appeal_id}").status_code == 403
    with system.client("operator") as operator:
        assert operator.post(f"/v1/applications/{a_id}/appeals", json={
            "layer": 4, "grounds": "x", "facts": {"emergency_loss_fen": 1}}).status_code == 403  # not an operator's to file


def test_an_application_without_its_notice_cannot_be_appealed_yet(system):
    application_id, token = submit(system, EXAMPLES["D"])  # above the approval threshold: it waits for an approver
    with citizen(system, token) as own:
        early = own.post(f"/v1/applications/{application_id}/appeals", json={
            "layer": 5, "grounds": "x", "facts": {"has_supporter": False}})
    assert early.status_code == 409 and "appeal_not_notified" in early.json()[0]["message"], early.text
    system.wait_status(application_id)  # approved by the tests' second person on the way: later tests submit D again

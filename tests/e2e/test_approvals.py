"""Approval above the threshold (审批权限), four eyes: a payment above 20,000 yuan waits for a second person with
the approver role; whoever registered or handled the application may not approve it; a refusal ends the
application with its own notice naming the note. Every decision records who, when and the note."""
from __future__ import annotations

import uuid

from tests.e2e.urgent_flows import audit_json, body, payments_by_kind, staff, submit, wait_view

REGISTRAR = "cw-zhao"


def waiting(view: dict) -> bool:
    return view["status"] == "awaiting_approval"


def pending_of(system, application_id: str) -> dict:
    with staff(system, "approver", "ap-li") as approver:
        listed = approver.get("/v1/approvals", params={"status": "pending", "limit": 500})
    assert listed.status_code == 200, listed.text
    return next(a for a in listed.json()["approvals"] if a["application_id"] == application_id)


def test_four_eyes_the_registrar_is_refused_another_approver_releases_the_payment(system):
    application_id = submit(system, body("D", 7201), REGISTRAR)  # 73,600 yuan: above the 20,000 threshold
    view = wait_view(system, application_id, waiting)
    assert view["payment"] is None and payments_by_kind(view)["application"]["status"] == "awaiting_approval"
    waits = pending_of(system, application_id)
    assert (waits["total_fen"], waits["threshold_fen"], waits["status"]) == (7_360_000, 2_000_000, "pending")
    assert sum(line["amount_fen"] for line in waits["lines"]) == 7_360_000
    with system.client("operator") as operator:  # the console counts what waits for an approver
        console = operator.get("/console").text
    assert 'id="approvals-waiting"' in console and "payment(s) awaiting approval" in console

    with staff(system, "approver", REGISTRAR) as same_person:  # the registrar, holding an approver token too
        refused = same_person.post(f"/v1/applications/{application_id}/approval", json={"approve": True, "note": "ok"})
    assert refused.status_code == 403 and "four_eyes" in refused.json()[0]["message"]
    with staff(system, "caseworker", "cw-other") as caseworker:
        assert caseworker.post(f"/v1/applications/{application_id}/approval", json={"approve": True}).status_code == 403
    with staff(system, "approver", "ap-li") as approver:
        approved = approver.post(f"/v1/applications/{application_id}/approval", json={"approve": True, "note": "bills checked"})
        assert approved.status_code == 200, approved.text
        assert approver.post(f"/v1/applications/{application_id}/approval", json={"approve": True}).status_code == 409
        assert approver.post(f"/v1/applications/{uuid.uuid4()}/approval", json={"approve": True}).status_code == 404
    decided = approved.json()
    assert (decided["status"], decided["decided_by"], decided["note"]) == ("approved", "ap-li", "bills checked")
    assert decided["decided_at"]

    view = wait_view(system, application_id, lambda v: v["status"] == "notified")
    assert view["payment"]["total_fen"] == 7_360_000 and payments_by_kind(view)["application"]["status"] == "settled"
    assert "合计：73,600.00 元" in view["notification"]["text"]


def test_a_refusal_ends_the_application_with_its_own_notice_and_the_advance_stays_paid(system):
    application_id = submit(system, body("D", 7202, urgent="critical_illness"), REGISTRAR)
    view = wait_view(system, application_id, waiting)
    paid = payments_by_kind(view)
    assert paid["advance"]["status"] == "settled" and paid["advance"]["total_fen"] == 400_000  # aid first, still
    assert paid["application"]["total_fen"] == 7_360_000 - 400_000 == pending_of(system, application_id)["total_fen"]

    with staff(system, "approver", "ap-sun") as approver:
        no_note = approver.post(f"/v1/applications/{application_id}/approval", json={"approve": False})
        assert no_note.status_code == 422 and "refusal_needs_note" in no_note.json()[0]["message"]
        refused = approver.post(f"/v1/applications/{application_id}/approval",
                                json={"approve": False, "note": "住院发票与医保结算单金额不符"})
    assert refused.status_code == 200 and refused.json()["status"] == "refused"

    view = wait_view(system, application_id, lambda v: v["status"] == "notified")
    assert view["payment"] is None and payments_by_kind(view)["application"]["status"] == "refused"
    text = view["notification"]["text"]
    assert "经审批未予支付（69,600.00 元）" in text and "审批意见：住院发票与医保结算单金额不符" in text
    with staff(system, "approver", "ap-li") as approver:
        listed = approver.get("/v1/approvals", params={"status": "refused", "limit": 500}).json()["approvals"]
    mine = [a for a in listed if a["application_id"] == application_id]
    assert [(a["decided_by"], a["note"]) for a in mine] == [("ap-sun", "住院发票与医保结算单金额不符")]
    report = audit_json(system)  # the refused payment's approval is reversed: the books stay balanced
    assert report["clean"], {name: rows for name, rows in report["anomalies"].items() if rows}

"""Aid first, paperwork after: an urgent application's advance is paid within seconds, before any department
decides; the final payment pays the rest; an advance above the final temporary assistance is waived and shown
by the audit; only a caseworker may mark an application urgent."""
from __future__ import annotations

import asyncio
import time

import asyncpg

from tests.e2e.urgent_flows import audit_json, body, payments_by_kind, submit, wait_view

SETTLED = "settled"


def test_an_urgent_applications_advance_is_paid_within_10_seconds_and_the_final_pays_the_rest(system):
    fire = body("B", 7101, urgent="fire")  # 100,000 yuan fire loss: tier 10,000, advance capped at 4,000
    started = time.monotonic()
    application_id = submit(system, fire)
    view = wait_view(system, application_id, lambda v: payments_by_kind(v).get("advance", {}).get("status") == SETTLED, 10)
    took = time.monotonic() - started
    advance = payments_by_kind(view)["advance"]
    assert advance["total_fen"] == 400_000 and took < 10, (advance, took)
    print(f"advance settled and visible {took:.2f} s after submit (status then: {view['status']})")

    view = wait_view(system, application_id, lambda v: v["status"] == "notified")
    paid = payments_by_kind(view)
    assert paid["application"] == {**paid["application"], "total_fen": 1_000_000 - 400_000, "status": SETTLED}
    assert view["payment"]["total_fen"] == 600_000 == sum(line["amount_fen"] for line in view["payment"]["lines"])
    text = view["notification"]["text"]
    assert "合计：10,000.00 元" in text and "其中临时救助已先行预付 4,000.00 元，本次支付其余 6,000.00 元。" in text
    assert "免除" not in text
    receipts = asyncio.run(receipts_of(system, application_id))
    assert receipts == [("advance", True)]  # its own short receipt, besides the one notice


async def receipts_of(system, application_id: str) -> list[tuple]:
    conn = await asyncpg.connect(system.database_url)
    try:
        rows = await conn.fetch("SELECT kind, text FROM notification.receipts WHERE application_id = $1", application_id)
        return [(r["kind"], "临时救助预付金 4,000.00 元已发放到尾号" in r["text"]) for r in rows]
    finally:
        await conn.close()


def test_an_advance_above_the_final_temporary_assistance_is_waived_and_the_audit_shows_it(system):
    illness = body("A", 7102, urgent="critical_illness")  # 16,800 declared out of pocket: advance 3,000
    application_id = submit(system, illness)
    view = wait_view(system, application_id, lambda v: v["status"] == "notified")
    paid = payments_by_kind(view)
    assert paid["advance"]["total_fen"] == 300_000 and paid["advance"]["status"] == SETTLED
    assert paid["application"]["total_fen"] == 1_119_750 - 100_000  # temporary assistance decided 1,000: all advanced
    assert "temporary_assistance" not in {line["program"] for line in view["payment"]["lines"]}
    assert "预付金额超出核定临时救助的 2,000.00 元予以免除，无需退还。" in view["notification"]["text"]
    report = audit_json(system)
    waiver = [w for w in report["advances"]["waivers"] if w["application_id"] == application_id]
    assert waiver == [{"application_id": application_id, "advance_fen": 300_000, "advance_deducted_fen": 100_000,
                       "waived_fen": 200_000}]
    assert report["clean"], {name: rows for name, rows in report["anomalies"].items() if rows}


def test_only_a_caseworker_may_mark_an_application_urgent(system):
    urgent = body("B", 7103, urgent="fire")
    plain = {key: value for key, value in urgent.items() if key != "urgent"}
    with system.client(None) as anonymous:
        refused = anonymous.post("/v1/applications", json=urgent)
        assert refused.status_code == 403
        assert refused.json()[0]["field"] == "urgent" and "urgent_by_caseworker" in refused.json()[0]["message"]
        mine = anonymous.post("/v1/applications", json=plain)  # the citizen's own submission, without `urgent`
        assert mine.status_code == 202
    token = mine.json()["access_token"]
    with system.client(None) as citizen:
        again = citizen.post("/v1/applications", json=urgent, headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 403 and "urgent_by_caseworker" in again.json()[0]["message"]
    with system.client("operator") as operator:
        assert operator.post("/v1/applications", json=urgent).status_code == 403
    view = wait_view(system, mine.json()["application_id"], lambda v: v["status"] == "notified")
    assert view["payments"] == [{**view["payments"][0], "kind": "application"}]  # no advance: nothing marked urgent

"""Payment runs end to end on a private `jointaid up`: ~200 households enrolled by their applications, then monthly
and price-subsidy runs through caseload, disbursement (ledger and rail) and notification.

At most one payment and one message per (household, period, kind), however the run is asked for (again, twice at
once) and whatever dies (disbursement killed mid-run); the period's policy version decides the figures.
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time

import asyncpg
import pytest

from contracts.payment_runs import run_id_of
from jointaid.bench import make_applications
from jointaid.embedded import running_url
from tests.e2e.conftest import ROOT, start_system, stop_system
from tests.e2e.flows import assert_audit_clean, submit_with_retries, wait_all_notified

APPLICATIONS = 270  # a seeded mix of the four worked shapes: about 200 enrolled (A mla, C extreme_poverty, D low_income)
REFUSED_ACCOUNT = "6217000099990000"  # the rail refuses it (a card the bank closed)
# the worked examples' figures (DOMAIN.md), by status: (members, 2023 monthly amount, 2028 monthly amount)
SHAPES = {"mla": (4, 92_000, 110_000), "extreme_poverty": (1, 130_500, 135_500), "low_income": (3, 0, 0)}
SUBSIDY_PER_PERSON_FEN = 2_993  # 855 yuan x 3.5%, half-up
MEASURED: dict[str, str] = {}


@pytest.fixture(scope="module")
def runs_system(tmp_path_factory):
    system = start_system(tmp_path_factory.mktemp("runs") / "data", env_extra={
        "JOINTAID_RAIL_FAIL_ACCOUNTS": REFUSED_ACCOUNT, "JOINTAID_RAIL_ATTEMPTS": "2",
        "JOINTAID_RAIL_BACKOFF_SECONDS": "0.2"})
    yield system
    stop_system(system)
    for name, figure in MEASURED.items():
        print(f"\n{name}: {figure}")


async def query(system, sql: str, *args):
    conn = await asyncpg.connect(running_url(system.data_dir / "pg"))
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


def rows(system, sql: str, *args):
    return asyncio.run(query(system, sql, *args))


@pytest.fixture(scope="module")
def households(runs_system) -> dict:
    """recipient_id -> status, once every approved living status is a recipient."""
    ids = asyncio.run(submit_with_retries(runs_system, make_applications(APPLICATIONS, seed=11), "runs"))
    wait_all_notified(runs_system, ids)
    deadline = time.monotonic() + 60
    while True:
        approved = rows(runs_system, "SELECT count(*) AS n FROM intake.decisions WHERE layer = 1 AND outcome = 'approved'"
                        " AND program IN ('extreme_poverty', 'mla', 'low_income')")[0]["n"]
        enrolled = {r["recipient_id"]: r["status"] for r in rows(runs_system, "SELECT recipient_id, status FROM caseload.recipients")}
        if len(enrolled) == approved or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert len(enrolled) == approved and len(enrolled) > 150
    assert set(enrolled.values()) == set(SHAPES)
    return enrolled


def post_run(system, body: dict, role: str = "operator"):
    with system.client(role) as client:
        return client.post("/v1/payment-runs", json=body)


def wait_done(system, run_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    with system.client("caseworker") as client:
        while True:
            view = client.get(f"/v1/payment-runs/{run_id}").json()
            if view["status"] == "done" or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    assert view["status"] == "done", view
    return view


def paid(system, kind: str, period: str) -> dict:
    """recipient_id -> (payments, settled fen, messages) of one period and kind."""
    found = rows(system,
                 "SELECT p.recipient_id, count(*) AS payments, sum(p.total_fen) FILTER (WHERE p.status = 'settled') AS fen,"
                 " (SELECT count(*) FROM notification.run_messages m WHERE m.recipient_id = p.recipient_id"
                 "   AND m.period = $2 AND m.kind = $1) AS messages"
                 " FROM disbursement.payments p WHERE p.kind = $1 AND p.period = $2 GROUP BY p.recipient_id", kind, period)
    return {r["recipient_id"]: (r["payments"], r["fen"], r["messages"]) for r in found}


def wait_messages(system, kind: str, period: str, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if rows(system, "SELECT count(*) AS n FROM notification.run_messages WHERE kind = $1 AND period = $2",
                kind, period)[0]["n"] >= count:
            return
        time.sleep(0.2)


def phases(system, kind: str, period: str) -> str:
    """Where a run's time went, from each service's own timestamps (seconds after the request)."""
    [t] = rows(system, """
        SELECT extract(epoch FROM c.started_at - i.requested_at) AS entitlements_made,
               extract(epoch FROM (SELECT min(created_at) FROM disbursement.payments p WHERE p.run_id = c.run_id) - i.requested_at) AS first_payment,
               extract(epoch FROM (SELECT max(created_at) FROM disbursement.payments p WHERE p.run_id = c.run_id) - i.requested_at) AS last_payment,
               extract(epoch FROM (SELECT max(settled_at) FROM disbursement.payments p WHERE p.run_id = c.run_id) - i.requested_at) AS last_settled,
               extract(epoch FROM c.finished_at - i.requested_at) AS run_done,
               extract(epoch FROM (SELECT max(sent_at) FROM notification.run_messages m WHERE m.kind = c.kind AND m.period = c.period)
                       - i.requested_at) AS last_message
        FROM caseload.payment_runs c JOIN intake.payment_runs i USING (run_id) WHERE c.kind = $1 AND c.period = $2""", kind, period)
    return ", ".join(f"{name} +{float(value):.2f}s" for name, value in t.items())


def monthly_expected(households: dict, year_index: int) -> dict:
    """recipient_id -> the month's amount, for the households a monthly run pays."""
    return {r: SHAPES[s][year_index] for r, s in households.items() if SHAPES[s][year_index] > 0}


def assert_paid_once(system, kind: str, period: str, expected: dict, view: dict) -> None:
    wait_messages(system, kind, period, len(expected))
    assert paid(system, kind, period) == {r: (1, fen, 1) for r, fen in expected.items()}
    assert (view["households"], view["paid"], view["failed"]) == (len(expected), len(expected), 0)
    assert view["total_fen"] == sum(expected.values())


def test_a_monthly_run_pays_each_monthly_recipient_its_amount_once(runs_system, households):
    body = {"kind": "monthly", "period": "2027-01"}
    started = time.monotonic()
    first = post_run(runs_system, body)
    assert first.status_code == 202, first.text
    assert first.json()["run_id"] == str(run_id_of("monthly", "2027-01")) and first.json()["status"] == "running"
    again = post_run(runs_system, body)
    assert again.status_code == 200 and again.json()["run_id"] == first.json()["run_id"]
    view = wait_done(runs_system, first.json()["run_id"])
    elapsed = time.monotonic() - started
    MEASURED["monthly run 2027-01"] = f"{view['households']} households in {elapsed:.2f} s ({view['households'] / elapsed:.0f}/s)"
    expected = monthly_expected(households, 1)
    assert_paid_once(runs_system, "monthly", "2027-01", expected, view)
    MEASURED["monthly run 2027-01 phases"] = phases(runs_system, "monthly", "2027-01")
    # asked again once done: the same run, nothing paid twice
    after = post_run(runs_system, body)
    assert after.status_code == 200 and after.json()["status"] == "done" and after.json()["paid"] == len(expected)
    time.sleep(1)
    assert paid(runs_system, "monthly", "2027-01") == {r: (1, fen, 1) for r, fen in expected.items()}
    [text] = [r["text"] for r in rows(runs_system, "SELECT text FROM notification.run_messages m JOIN caseload.recipients r"
                                      " USING (recipient_id) WHERE m.period = '2027-01' AND r.status = 'mla' LIMIT 1")]
    assert text.startswith("2027年1月低保金 920.00 元已发放到尾号") and text.endswith("的社保卡")


def test_two_requests_at_once_make_one_run(runs_system, households):
    body, answers, gate = {"kind": "monthly", "period": "2027-02"}, [], threading.Barrier(2)

    def ask():
        gate.wait()
        answers.append(post_run(runs_system, body))

    threads = [threading.Thread(target=ask) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(a.status_code for a in answers) == [200, 202]
    assert len({a.json()["run_id"] for a in answers}) == 1
    assert rows(runs_system, "SELECT count(*) AS n FROM intake.payment_runs WHERE period = '2027-02'")[0]["n"] == 1
    view = wait_done(runs_system, answers[0].json()["run_id"])
    assert_paid_once(runs_system, "monthly", "2027-02", monthly_expected(households, 1), view)
    assert rows(runs_system, "SELECT count(*) AS n FROM caseload.payment_runs WHERE period = '2027-02'")[0]["n"] == 1


def test_disbursement_killed_mid_run_still_pays_every_household_once(runs_system, households):
    expected = monthly_expected(households, 1)
    run = post_run(runs_system, {"kind": "monthly", "period": "2027-03"}).json()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # kill once the run's first payments exist, before the last is settled
        settled = rows(runs_system, "SELECT count(*) FILTER (WHERE status = 'settled') AS settled, count(*) AS made"
                       " FROM disbursement.payments WHERE period = '2027-03'")[0]
        if settled["made"] > 0:
            break
        time.sleep(0.01)
    os.kill(int((runs_system.data_dir / "run" / "disbursement.pid").read_text()), signal.SIGKILL)
    assert settled["settled"] < len(expected), "the run was over before the kill"
    view = wait_done(runs_system, run["run_id"], timeout=180)
    assert_paid_once(runs_system, "monthly", "2027-03", expected, view)
    MEASURED["disbursement killed"] = f"after {settled['made']} payments made, {settled['settled']} settled"


def test_the_period_decides_the_figures(runs_system, households):
    for period, year_index in (("2027-12", 1), ("2028-01", 2)):
        run = post_run(runs_system, {"kind": "monthly", "period": period})
        assert run.status_code == 202, run.text
        view = wait_done(runs_system, run.json()["run_id"])
        assert_paid_once(runs_system, "monthly", period, monthly_expected(households, year_index), view)
    versions = rows(runs_system, "SELECT period, policy_version FROM caseload.payment_runs WHERE period IN ('2027-12', '2028-01')")
    assert {r["period"]: r["policy_version"] for r in versions} == {"2027-12": "xihu-2023.1", "2028-01": "xihu-2028.1"}
    texts = rows(runs_system, "SELECT DISTINCT split_part(text, '已', 1) AS paid FROM notification.run_messages WHERE period = '2028-01'")
    assert {r["paid"] for r in texts} == {"2028年1月低保金 1,100.00 元", "2028年1月特困供养金 1,355.00 元"}


def test_a_price_subsidy_below_both_triggers_is_refused_and_changes_nothing(runs_system, households):
    body = {"kind": "price_subsidy", "period": "2027-01", "cpi_yoy_bp": 349, "food_cpi_yoy_bp": 599}
    refused = post_run(runs_system, body)
    assert refused.status_code == 422
    [problem] = refused.json()
    assert problem["field"] == "cpi_yoy_bp" and "trigger not reached" in problem["message"]
    assert "3.49%" in problem["message"] and "5.99%" in problem["message"]
    assert post_run(runs_system, {**body, "cpi_yoy_bp": 350}, role="caseworker").status_code == 403
    assert post_run(runs_system, {"kind": "monthly", "period": "2027-1"}).status_code == 422
    assert rows(runs_system, "SELECT count(*) AS n FROM intake.payment_runs WHERE kind = 'price_subsidy'")[0]["n"] == 0
    with runs_system.client() as client:
        assert client.get(f"/v1/payment-runs/{run_id_of('price_subsidy', '2027-01')}").status_code == 404


def test_a_price_subsidy_at_the_trigger_pays_every_member_of_every_recipient(runs_system, households):
    started = time.monotonic()
    run = post_run(runs_system, {"kind": "price_subsidy", "period": "2027-01", "cpi_yoy_bp": 350, "food_cpi_yoy_bp": 410})
    assert run.status_code == 202, run.text
    view = wait_done(runs_system, run.json()["run_id"])
    elapsed = time.monotonic() - started
    MEASURED["price subsidy 2027-01"] = f"{view['households']} households in {elapsed:.2f} s ({view['households'] / elapsed:.0f}/s)"
    expected = {r: SHAPES[s][0] * SUBSIDY_PER_PERSON_FEN for r, s in households.items()}
    assert_paid_once(runs_system, "price_subsidy", "2027-01", expected, view)
    MEASURED["price subsidy 2027-01 phases"] = phases(runs_system, "price_subsidy", "2027-01")
    # the month's monthly payment is another kind: both stand, once each
    assert paid(runs_system, "monthly", "2027-01") == {r: (1, fen, 1) for r, fen in monthly_expected(households, 1).items()}


def test_a_payment_the_rail_refuses_is_counted_failed_and_the_run_finishes(runs_system, households):
    refused = next(r for r, s in households.items() if s == "mla")
    rows(runs_system, "UPDATE caseload.recipients SET payout_number = $2 WHERE recipient_id = $1", refused, REFUSED_ACCOUNT)
    expected = monthly_expected(households, 2)
    view = wait_done(runs_system, post_run(runs_system, {"kind": "monthly", "period": "2028-02"}).json()["run_id"])
    assert (view["households"], view["paid"], view["failed"]) == (len(expected), len(expected) - 1, 1)
    assert view["total_fen"] == sum(expected.values()) - expected[refused]
    [payment] = rows(runs_system, "SELECT status, attempts FROM disbursement.payments WHERE recipient_id = $1"
                     " AND period = '2028-02'", refused)
    assert (payment["status"], payment["attempts"]) == ("failed", 2)
    wait_messages(runs_system, "monthly", "2028-02", len(expected) - 1)
    assert refused not in {r for r, (_, _, messages) in paid(runs_system, "monthly", "2028-02").items() if messages}


def cli(system, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jointaid.cli", *args, "--data-dir", str(system.data_dir)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_audit_is_clean_and_run_status_shows_each_run_done(runs_system, households):
    assert_audit_clean(runs_system)
    run_id = str(run_id_of("monthly", "2027-01"))
    shown = cli(runs_system, "run-status", run_id, "--json")
    assert shown.returncode == 0, shown.stderr
    with runs_system.client() as client:
        assert json.loads(shown.stdout) == client.get(f"/v1/payment-runs/{run_id}").json()
    status = json.loads(shown.stdout)
    assert status["status"] == "done" and status["paid"] == status["households"] > 0
    assert status["total_fen"] == sum(monthly_expected(households, 1).values())
    bar = cli(runs_system, "run-status", run_id)
    assert bar.returncode == 0 and "done" in bar.stdout and f"paid {status['paid']:,}" in bar.stdout
    assert cli(runs_system, "run-status", str(run_id_of("monthly", "2028-02"))).returncode == 1  # one household failed
    assert cli(runs_system, "run-status", str(run_id_of("monthly", "2031-01"))).returncode == 2

"""Issue 16: the caseworkers' workbench in a real browser, behind the pages' login.

A caseworker signs in, sees an open lead with its reasons and records the household's consent (an application is
registered); an approver signs in and, by keyboard alone, approves a payment above the threshold; the payment
runs show their progress bar. axe-core on the workbench and both console pages. Screenshots:
.jointaid-test/screenshots/<test>/ (printed).
"""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from jointaid.second_approver import SUBJECT as SECOND_APPROVER
from services.kit.settings import SERVICES
from tests.e2e.browser import Shots, chromium, serious_violations, watch_errors
from tests.e2e.conftest import ROOT
from tests.e2e.test_lead_intake_flow import NDJSON, id_number, open_lead_of, registry_line, signal, wait_for
from tests.e2e.urgent_flows import body, submit, wait_view

DESKTOP = {"width": 1280, "height": 900}
CASEWORKER, APPROVER = "cw-workbench", "ap-workbench"
APPLICANT, CHILD = id_number("19690909", 816), id_number("20130303", 827)
ACCOUNT = "6222020200008160"


def assert_accessible(page, where: str) -> None:
    found = serious_violations(page)
    assert found == [], f"{where}: axe-core found serious/critical violations:\n" + "\n".join(found)


def sign_in(browser, system, role: str, subject: str, target: str = "/workbench"):
    """A fresh browser context through the login page (the cookie is HttpOnly: the page's script never sees it)."""
    page = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    page.goto(f"{system.base}{target}")
    page.wait_for_url(f"**/console/login?next={target}")
    page.get_by_label("Your access token").fill(system.token(role, subject))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{system.base}{target}")
    return page


@pytest.fixture(scope="module")
def open_lead(system, tmp_path_factory) -> dict:
    """A household in the registries whose child's hospital bills raise a lead (as in test_lead_intake_flow)."""
    path = tmp_path_factory.mktemp("workbench") / "registry.jsonl"
    path.write_text(registry_line(APPLICANT, "h-workbench", 100_000) + "\n" + registry_line(CHILD, "h-workbench", 0) + "\n")
    loaded = subprocess.run([sys.executable, "-m", "jointaid.cli", "registry", "import", str(path), "--data-dir",
                             str(system.data_dir)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert loaded.returncode == 0, loaded.stderr
    lines = [signal(CHILD, "medical_spending", 30, 900_000), signal(CHILD, "medical_spending", 2, 400_000)]
    with system.client("department") as department:
        assert department.post("/v1/signals", content="\n".join(lines), headers=NDJSON).status_code == 202
    return wait_for("the workbench's lead", lambda: open_lead_of(system, CHILD))


def test_a_caseworker_takes_a_lead_through_consent(system, open_lead, request):
    shots = Shots(request.node.name)
    with system.client("operator") as operator:  # a run that touches nobody: its bar is full at once
        run = operator.post("/v1/payment-runs", json={"kind": "monthly", "period": "2024-02"})
        assert run.status_code in (200, 202), run.text
    with chromium() as browser:
        page = sign_in(browser, system, "caseworker", CASEWORKER)
        errors = watch_errors(page)
        assert page.locator("#signed-in").inner_text() == f"已登录：{CASEWORKER}（经办人员）"
        assert page.locator("#approvals").is_hidden()  # an approver's section
        row = page.locator(f'tr.lead[data-id="{open_lead["lead_id"]}"]')
        row.wait_for()
        assert open_lead["rules"][0]["figures_zh"] in row.inner_text()  # the reasons, in Chinese
        assert CHILD not in page.content() and APPLICANT not in page.content()  # masked
        runs = page.locator(f'tr.run[data-id="{run.json()["run_id"]}"][data-status="done"]')
        runs.wait_for()
        bar = runs.locator("progress")
        assert bar.get_attribute("value") == bar.get_attribute("max")
        shots.take(page, "leads")
        assert_accessible(page, "the caseworker's workbench")

        row.get_by_role("button", name="记录家庭意见").click()
        form = page.locator("#consent-form")
        assert form.is_visible() and page.evaluate("document.activeElement.id") == "consent-title"
        form.get_by_label("家庭同意申请").check()
        form.get_by_label("询问方式").select_option("outreach")
        form.get_by_label("申请人姓名").fill("孙立新")
        form.get_by_label("手机号").fill("13800008160")
        form.get_by_label("账号").fill(ACCOUNT)
        shots.take(page, "consent-form")
        assert_accessible(page, "the consent form")
        form.get_by_role("button", name="保存").click()
        result = page.locator("#consent-result")
        result.get_by_text("已登记申请").wait_for()
        application_id = result.get_attribute("data-application-id")
        assert application_id and application_id in result.inner_text()
        assert page.locator(f'tr.lead[data-id="{open_lead["lead_id"]}"]').count() == 0  # no longer open
        shots.take(page, "consent-recorded")
        assert errors == [], errors

    view = wait_view(system, application_id, lambda v: v["status"] not in ("submitted",))
    assert view["application_id"] == application_id
    with system.client("caseworker") as caseworker:
        lead = caseworker.get(f"/v1/leads/{open_lead['lead_id']}").json()
    assert lead["consent"]["given"] is True and lead["consent"]["recorded_by"] == CASEWORKER
    assert lead["consent"]["channel"] == "outreach"


def test_an_approver_approves_by_keyboard_alone(system, request):
    shots = Shots(request.node.name)
    application_id = submit(system, body("D", 1617), CASEWORKER)  # 73,600 yuan: above the 20,000 threshold
    wait_view(system, application_id, lambda v: v["status"] == "awaiting_approval")
    with chromium() as browser:
        page = sign_in(browser, system, "approver", APPROVER)
        errors = watch_errors(page)
        row = page.locator(f'tr.approval[data-id="{application_id}"]')
        row.wait_for()
        assert "73,600.00 元" in row.inner_text() and "20,000.00 元" in row.inner_text()
        assert page.locator("#leads").is_hidden() and page.locator("#runs").is_hidden()
        shots.take(page, "approvals")
        assert_accessible(page, "the approver's workbench")

        note = f"note-{application_id}"
        for _ in range(60):  # Tab through the page to this approval's note, as a keyboard user does
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == note:
                break
        assert page.evaluate("document.activeElement.id") == note
        page.keyboard.type("票据已核对")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "approve"
        page.keyboard.press("Enter")
        row.wait_for(state="detached")
        shots.take(page, "approved")
        assert errors == [], errors

    view = wait_view(system, application_id, lambda v: v["status"] == "notified", timeout=90)
    assert view["payment"]["total_fen"] == 7_360_000
    with system.client("operator") as operator:
        decided = operator.get("/v1/approvals", params={"status": "approved", "limit": 500}).json()["approvals"]
    mine = next(a for a in decided if a["application_id"] == application_id)
    assert (mine["decided_by"], mine["note"]) == (APPROVER, "票据已核对")
    assert mine["decided_by"] != SECOND_APPROVER  # the workbench approved it, not the tests' helper


def test_the_consoles_pages_have_no_serious_accessibility_violation(system, worked_examples, request):
    shots = Shots(request.node.name)
    application_id = worked_examples["A"]["application_id"]
    with chromium() as browser:
        page = sign_in(browser, system, "operator", "e2e-axe", target="/console")
        # the first screen answers "is anything wrong?" before the list
        assert page.locator("#verdict").is_visible() and page.locator("#verdict").bounding_box()["y"] < \
            page.locator("#applications").bounding_box()["y"]
        assert page.locator("#services tr[data-service]").count() == len(SERVICES)
        assert int(page.locator("#dlq-size").inner_text()) >= 0 and page.locator("#by-status td.status").count() >= 1
        shots.take(page, "console")
        assert_accessible(page, "/console")
        page.goto(f"{system.base}/console/applications/{application_id}")
        summary = page.locator("#timeline-summary").inner_text()  # publishes folded into the line that sent them
        total, folded = map(int, re.match(r"(\d+) spans \((\d+) publishes folded", summary).groups())
        assert folded > 0 and page.locator("#timeline .span-row").count() == total - folded
        shots.take(page, "console-application")
        assert_accessible(page, "/console/applications/{id}")
        page.goto(f"{system.base}/console/login")
        assert_accessible(page, "/console/login")
        page.goto(f"{system.base}/workbench")
        shots.take(page, "operator-workbench")
        assert_accessible(page, "the operator's workbench")

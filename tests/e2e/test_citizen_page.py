"""Issue 16: the citizen page in a real browser on a phone (390x844), Chinese first.

A citizen consents, applies, sees the API's own field error in Chinese beside the field, fixes it by keyboard,
follows the application with the token in the fragment to the one notice with its figures, sees who read the
data (role, department, purpose; no staff name) and appeals. axe-core finds no serious or critical violation on
any state of the page. Screenshots: .jointaid-test/screenshots/<test>/ (printed).
"""
from __future__ import annotations

import re
import uuid

import httpx

from contracts.idnumber import check_digit
from jointaid.bench import _renumber
from services.kit.money import format_yuan
from tests.conftest import EXAMPLES
from tests.e2e.browser import PHONE, Shots, chromium, serious_violations, watch_errors
from tests.e2e.test_access import call, citizen_token

STAFF_PURPOSE = "核对家庭收入 (checking the household's income)"
SERIAL = 1616  # fresh ID numbers of worked example C (jointaid.bench._renumber): this module's own


def wrong_check_digit(number: str) -> str:
    right = check_digit(number[:17])
    return number[:17] + ("0" if right != "0" else "1")


def fill_application(page, body: dict) -> None:
    """Example C (one member) as a citizen types it in; the applicant's ID number with a wrong check digit."""
    [me] = body["household"]["members"]
    form = page.locator("#apply-form")
    form.get_by_label("姓名", exact=True).fill(body["applicant_name"])
    form.locator("#f-id").fill(wrong_check_digit(body["applicant_id_number"]))
    form.get_by_label("手机号").fill(body["phone"])
    form.get_by_label("所在地区代码").fill(body["region_code"])
    form.locator("#f-income").fill(format_yuan(me["monthly_income_fen"]).replace(",", ""))
    form.locator("#f-care").select_option(me["care_level"])
    form.locator("#f-diagnosis").select_option(me["diagnoses"][0])
    form.get_by_label("是否有有能力的法定赡养、抚养人").select_option(str(body["household"]["has_supporter"]).lower())
    form.get_by_label("家庭存款等金融资产").fill(format_yuan(body["household"]["financial_assets_fen"]))
    form.get_by_label("是否有机动车").select_option(str(body["household"]["owns_vehicle"]).lower())
    for bill in body["needs"]["medical_bills"]:
        form.get_by_role("button", name="添加一张医疗费用单据").click()
        row = form.locator("#bills fieldset").last
        row.get_by_label("费用总额").fill(format_yuan(bill["total_fen"]))
        row.get_by_label("基本医保已报销").fill(format_yuan(bill["basic_reimbursed_fen"]))
        row.get_by_label("其中大病保险可报销部分").fill(format_yuan(bill["covered_oop_fen"]))
        if bill.get("diagnosis"):
            row.get_by_label("所患疾病").select_option(bill["diagnosis"])
    emergency = body["needs"].get("emergency")
    if emergency:
        form.get_by_label("事件类型").select_option(emergency["kind"])
        form.get_by_label("损失（元）").fill(format_yuan(emergency["loss_fen"]))
        form.get_by_label("发生日期").fill(emergency["occurred_on"])
    form.get_by_label("账户类型").select_option(body["payout_account"]["kind"])
    form.get_by_label("账号").fill(body["payout_account"]["number"])


def assert_accessible(page, where: str) -> None:
    found = serious_violations(page)
    assert found == [], f"{where}: axe-core found serious/critical violations:\n" + "\n".join(found)


def test_a_citizen_applies_on_a_phone_fixes_a_field_error_follows_to_the_notice_and_appeals(system, request):
    body = _renumber(EXAMPLES["C"], SERIAL)
    system.wait_applicant_free(body["applicant_id_number"])
    shots = Shots(request.node.name)
    with chromium() as browser:
        page = browser.new_page(viewport=PHONE, locale="zh-CN")
        errors = watch_errors(page)
        sent: list[str] = []
        page.on("request", lambda r: sent.append(f"{r.method} {r.url}"))
        page.goto(f"{system.base}/")
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        assert page.get_by_role("heading", name="联合救助申请").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # fits the phone: no sideways scroll
        shots.take(page, "form")
        assert_accessible(page, "the empty form")

        # by keyboard: the skip link, the language switch, the two tabs, then the consent box comes first
        for _ in range(5):
            page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "f-consent"
        # consent first: without the tick nothing is sent, and the focus goes back to the box
        page.get_by_role("button", name="提交申请").click()
        assert page.locator("#f-consent-error").inner_text() == "请先勾选同意，否则不能提交申请"
        assert not [r for r in sent if r.startswith("POST")]
        assert page.evaluate("document.activeElement.id") == "f-consent"
        page.keyboard.press("Space")
        assert page.locator("#f-consent").is_checked()

        fill_application(page, body)
        page.get_by_role("button", name="提交申请").click()
        note = page.locator("#f-id-error")
        note.wait_for(state="visible")
        assert note.inner_text() == "身份证号最后一位校验码不对，请核对"  # the API's rule, in the citizen's language
        assert page.locator("#f-id").get_attribute("aria-invalid") == "true"
        assert page.locator("#f-id").get_attribute("aria-describedby") == "f-id-error"
        assert "有 2 处需要修改" in page.locator("#apply-errors").inner_text()  # the ID number, and the bill naming it
        shots.take(page, "field-error")
        assert_accessible(page, "the form with a field error")

        # the page put the focus on the field to fix: fix it and send by keyboard alone
        assert page.evaluate("document.activeElement.id") == "f-id"
        page.keyboard.press("Control+A")
        page.keyboard.type(body["applicant_id_number"])
        page.keyboard.press("Enter")
        page.locator("#submitted-view").wait_for(state="visible")
        application_id = page.locator("#submitted-id").inner_text()
        uuid.UUID(application_id)
        link = page.locator("#submitted-link").inner_text()
        match = re.fullmatch(re.escape(system.base) + r"/#/applications/" + application_id + r"\?token=(.+)", link)
        assert match, link
        token = match.group(1)
        shots.take(page, "submitted")
        assert_accessible(page, "the submitted page")

        # a caseworker reads the file, with a purpose: the citizen will see it (role, purpose), not the name
        view = system.wait_status(application_id, timeout=90)
        with system.client("caseworker") as caseworker:
            assert caseworker.get(f"/v1/applications/{application_id}", params={"purpose": STAFF_PURPOSE}).status_code == 200

        page.locator("#submitted-open").click()
        page.wait_for_url(f"**/#/applications/{application_id}?token=*")
        page.locator('#app-status[data-status="notified"]').wait_for(timeout=30_000)
        notice = page.locator("#notice").inner_text()
        assert notice.strip() == view["notification"]["text"].strip()
        total = sum(d["amount_fen"] for d in view["decisions"])
        assert f"{format_yuan(total)} 元" in notice  # the one notice, with its figures
        assert page.locator("#decisions tr.decision").count() == len(view["decisions"])
        reads = page.locator("#reads-table tr.read:not(.own)")
        reads.first.wait_for()
        staff_reads = [reads.nth(i).inner_text() for i in range(reads.count())]
        assert any("经办人员" in row and STAFF_PURPOSE in row for row in staff_reads), staff_reads
        assert "e2e-caseworker" not in page.content()  # the staff member's name stays out
        shots.take(page, "notice")
        assert_accessible(page, "the application with its notice")

        # appeal layer 1 with a new fact (the household has no able supporter: said again, as a new fact)
        page.get_by_label("申诉的项目").select_option("1")
        page.get_by_label("申诉理由").fill("家里情况有变化，请重新核定。")
        page.get_by_label("现在是否有有能力的法定赡养、抚养人").select_option("false")
        page.get_by_role("button", name="提交申诉").click()
        status = page.locator("#appeal-status")
        status.wait_for()
        page.locator('#appeal-status[data-status="upheld"], #appeal-status[data-status="revised"]').wait_for(timeout=90_000)
        page.locator("#appeal-notice").wait_for(timeout=30_000)
        assert page.locator("#appeal-notice").inner_text().strip()
        shots.take(page, "appeal")
        assert_accessible(page, "the appeal")

        # the English switch: the same page, every label and the API's messages in English
        page.get_by_role("button", name="English").click()
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.get_by_role("heading", name="Who has read my data").is_visible()
        shots.take(page, "english")
        assert_accessible(page, "the page in English")
        assert errors == [], errors

    # the token never went into a URL the server saw
    assert all(token not in line.split("#")[0] for line in sent), [line for line in sent if token in line]
    logs = "".join(p.read_text(errors="replace") for p in (system.data_dir / "logs").glob("intake*.log"))
    assert token not in logs


def test_who_has_read_my_data_answers_the_citizen_and_no_other_citizen(system, worked_examples):
    application_id = worked_examples["A"]["application_id"]
    with system.client("operator") as operator:
        assert operator.get(f"/v1/applications/{application_id}", params={"purpose": "audit sample"}).status_code == 200
    own = call(system, "GET", f"/v1/applications/{application_id}/access-log", citizen_token(system, application_id))
    assert own.status_code == 200, own.text
    entries = own.json()["entries"]
    assert entries and set(entries[0]) == {"entry_id", "at", "role", "department", "what", "purpose"}
    assert {"role": "operator", "department": "operator", "what": "application", "purpose": "audit sample"}.items() <= \
        next(e for e in reversed(entries) if e["purpose"] == "audit sample").items()
    assert "e2e-operator" not in own.text  # no staff member's subject
    other = call(system, "GET", f"/v1/applications/{application_id}/access-log", citizen_token(system, str(uuid.uuid4())))
    assert other.status_code == 403
    assert call(system, "GET", f"/v1/applications/{application_id}/access-log").status_code == 401
    with system.client("caseworker") as caseworker:
        assert caseworker.get(f"/v1/applications/{application_id}/access-log").status_code == 200
        assert caseworker.get(f"/v1/applications/{uuid.uuid4()}/access-log").status_code == 404
        paged = caseworker.get(f"/v1/applications/{application_id}/access-log", params={"limit": 1}).json()
        assert len(paged["entries"]) == 1 and paged["next_after"] == paged["entries"][0]["entry_id"]


def test_the_pages_need_no_token_and_keep_scripts_to_this_site(system):
    with httpx.Client(base_url=system.base, timeout=10, follow_redirects=False) as anonymous:
        page = anonymous.get("/")
        script = anonymous.get("/pages/app.js")
        assert anonymous.get("/pages/nothing.js").status_code == 404
        assert anonymous.get("/pages/%2e%2e%2fapi.py").status_code == 404
        workbench = anonymous.get("/workbench")
    assert page.status_code == script.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "<script>" not in page.text and 'src="/pages/app.js"' in page.text  # no inline script
    assert script.headers["content-type"].startswith("text/javascript")
    assert workbench.status_code == 303 and workbench.headers["location"].startswith("/console/login?next=/workbench")


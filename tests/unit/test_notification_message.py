"""The one message each citizen receives: worked examples A and D, a zero payment, a rejection."""
from __future__ import annotations

import re
import sys
import uuid
from pathlib import Path

import pytest

# The tree has no pytest pythonpath config yet (no pyproject/conftest); make the repo root importable.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from contracts.events import (  # noqa: E402
    ApplicationRejected,
    Decision,
    Department,
    Language,
    Outcome,
    PaymentIssued,
    PaymentLine,
    Program,
    Recurring,
)
from services.notification.message import LABELS, render_payment, render_rejection  # noqa: E402

GOLDEN = Path(__file__).parent / "golden"
PAYMENT_A = uuid.UUID("3f2b8c1e-9a4d-4e7b-b1c2-d0e4f5a6b7c8")
PAYMENT_D = uuid.UUID("0c9e7d2a-4b1f-4a3e-8d6c-5e2f1a0b9c3d")
CA, MI, RC = Department.civil_affairs, Department.medical_insurance, Department.red_cross
MONTHLY, ONE_OFF = Recurring.monthly, Recurring.one_off
OK, DENIED, NA = Outcome.approved, Outcome.denied, Outcome.not_applicable


def _d(layer, dept, program, outcome, fen, recurring, reason, reason_zh=None) -> Decision:
    return Decision(department=dept, program=program, layer=layer, outcome=outcome,
                    amount_fen=fen, recurring=recurring, reason=reason, reason_zh=reason_zh)


def _payment(payment_id, decisions, kind, last4) -> PaymentIssued:
    lines = tuple(PaymentLine(department=d.department, program=d.program, amount_fen=d.amount_fen)
                  for d in decisions if d.amount_fen > 0)
    return PaymentIssued(payment_id=payment_id, total_fen=sum(x.amount_fen for x in lines),
                         lines=lines, decisions=tuple(decisions),
                         account_kind=kind, account_last4=last4)


# Each decision carries its English reason and, from the department's rules, its plain Chinese one
# (`reason_zh`: the rules' text for example A, tests/unit/test_rules_worked_examples.py).
REASONS_A = {
    Language.zh: (
        "家庭月收入 2,500.00 元低于保障标准 3,420.00 元（4 人 × 855.00 元），按差额每月发放 920.00 元",
        "合规自付费用 12,000.00 元，超过起付线 7,500.00 元的部分按 65% 报销：2,925.00 元",
        "合规自付费用 12,000.00 元扣除大病保险 2,925.00 元后为 9,075.00 元，低保对象按 70% 救助：6,352.50 元",
        "自付医疗费用 16,800.00 元扣除大病保险 2,925.00 元、医疗救助 6,352.50 元后，困难金额为 7,522.50 元，"
        "达到 2,000.00 元救助档，救助 1,000.00 元",
        "家庭成员患有尿毒症；剩余医疗负担 7,522.50 元扣除临时救助中用于医疗的 1,000.00 元后为 6,522.50 元，"
        "未达到救助起点 10,000.00 元",
    ),
    Language.en: (
        "household income 2,500.00 yuan is below the standard 3,420.00 yuan (4 x 855.00); the gap is paid",
        "covered out-of-pocket 12,000.00 yuan; 65% of the part above the 7,500.00 yuan threshold",
        "(12,000.00 - 2,925.00) yuan at 70% for minimum living allowance households",
        "hardship 7,522.50 yuan reaches the 2,000 yuan tier: 1,000 yuan",
        "remaining medical burden 6,522.50 yuan is below the 10,000 yuan starting point",
    ),
}


def event_a() -> PaymentIssued:
    r, zh = REASONS_A[Language.en], REASONS_A[Language.zh]
    # Deliberately out of layer order: the message must sort by layer.
    return _payment(PAYMENT_A, [
        _d(5, RC, Program.major_illness_relief, DENIED, 0, ONE_OFF, r[4], zh[4]),
        _d(1, CA, Program.mla, OK, 92_000, MONTHLY, r[0], zh[0]),
        _d(2, MI, Program.critical_illness_insurance, OK, 292_500, ONE_OFF, r[1], zh[1]),
        _d(3, MI, Program.medical_assistance, OK, 635_250, ONE_OFF, r[2], zh[2]),
        _d(4, CA, Program.temporary_assistance, OK, 100_000, ONE_OFF, r[3], zh[3]),
    ], "social_security_card", "5678")


def event_d() -> PaymentIssued:
    return _payment(PAYMENT_D, [
        _d(1, CA, Program.low_income, OK, 0, MONTHLY, "low-income margin status, no cash"),
        _d(2, MI, Program.critical_illness_insurance, OK, 3_900_000, ONE_OFF,
           "(80,000.00 - 15,000.00) x 60%"),
        _d(3, MI, Program.medical_assistance, OK, 2_460_000, ONE_OFF,
           "(80,000.00 - 39,000.00) x 60% (low_income)"),
        _d(4, CA, Program.temporary_assistance, OK, 500_000, ONE_OFF,
           "hardship 56,400.00 yuan: tier 30,000 -> 5,000 yuan"),
        _d(5, RC, Program.major_illness_relief, OK, 500_000, ONE_OFF,
           "remainder 51,400.00 yuan: tier 30,000 -> 5,000 yuan"),
    ], "social_security_card", "4444")


def event_zero() -> PaymentIssued:
    return _payment(None, [
        _d(1, CA, Program.mla, NA, 0, MONTHLY, "income above the standard"),
        _d(2, MI, Program.critical_illness_insurance, NA, 0, ONE_OFF, "no covered costs"),
        _d(3, MI, Program.medical_assistance, NA, 0, ONE_OFF, "no medical costs"),
        _d(4, CA, Program.temporary_assistance, DENIED, 0, ONE_OFF, "hardship below 2,000 yuan"),
        _d(5, RC, Program.major_illness_relief, NA, 0, ONE_OFF, "no major illness"),
    ], "bank_card", "0001")


LANGS = [Language.zh, Language.en]


def test_examples_add_up():
    assert event_a().total_fen == 1_119_750
    assert event_d().total_fen == 7_360_000
    assert event_zero().total_fen == 0


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("make, total, last4", [
    (event_a, "11,197.50", "5678"), (event_d, "73,600.00", "4444"), (event_zero, "0.00", "0001"),
])
def test_payment_message_contents(make, total, last4, lang):
    event = make()
    text = render_payment(event, lang)
    labels = LABELS[lang]
    assert total in text
    for d in event.decisions:
        assert labels["program"][d.program] in text
        assert labels["department"][d.department] in text
        assert labels["outcome"][d.outcome] in text
        shown, hidden = (d.reason_zh, d.reason) if lang == Language.zh and d.reason_zh else (d.reason, d.reason_zh)
        assert shown in text
        assert hidden is None or hidden not in text
    assert last4 in text
    # only the last 4 digits of the account: never a longer digit run ending in them
    assert not re.search(r"\d" + last4, text)
    assert "60" in text
    if event.payment_id is None:
        assert ("没有应付款项" if lang == Language.zh else "nothing is due") in text
    else:
        assert str(event.payment_id) in text


def test_chinese_message_shows_the_chinese_reasons_english_the_english():
    zh, en = render_payment(event_a(), Language.zh), render_payment(event_a(), Language.en)
    assert all(reason in zh and reason not in en for reason in REASONS_A[Language.zh])
    assert all(reason in en and reason not in zh for reason in REASONS_A[Language.en])


def test_chinese_message_falls_back_to_the_english_reason():
    # Decisions made before reason_zh existed (or without one) still explain themselves.
    text = render_payment(event_d(), Language.zh)
    assert "理由：hardship 56,400.00 yuan: tier 30,000 -> 5,000 yuan" in text


@pytest.mark.parametrize("lang", LANGS)
def test_decisions_in_layer_order(lang):
    text = render_payment(event_a(), lang)
    names = [LABELS[lang]["program"][p] for p in (
        Program.mla, Program.critical_illness_insurance, Program.medical_assistance,
        Program.temporary_assistance, Program.major_illness_relief)]
    positions = [text.index(n) for n in names]
    assert positions == sorted(positions)


def test_monthly_line_for_a():
    zh = render_payment(event_a(), Language.zh)
    en = render_payment(event_a(), Language.en)
    assert "最低生活保障 每月 920.00 元，自下月起" in zh
    assert "minimum living allowance 920.00 yuan per month from next month" in en


@pytest.mark.parametrize("lang", LANGS)
def test_no_monthly_line_without_monthly_money(lang):
    # D's low_income status recurs monthly but pays nothing; the zero event pays nothing at all.
    for event in (event_d(), event_zero()):
        text = render_payment(event, lang)
        assert "自下月起" not in text and "per month" not in text


def test_masked_account_wording():
    assert "社保卡 尾号 5678" in render_payment(event_a(), Language.zh)
    assert "social security card ending 5678" in render_payment(event_a(), Language.en)


def test_chinese_by_default():
    assert render_payment(event_a()) == render_payment(event_a(), Language.zh)
    assert "您好" in render_payment(event_a())
    assert render_rejection(ApplicationRejected(rule="r", reason="x")).startswith("您好")


@pytest.mark.parametrize("lang", LANGS)
def test_rejection_message(lang):
    event = ApplicationRejected(rule="one_application_in_progress",
                                reason="an application for this applicant is still in progress")
    text = render_rejection(event, lang)
    assert event.reason in text
    assert event.rule in text
    assert "60" in text
    assert ("重新提交申请" if lang == Language.zh else "apply again") in text


@pytest.mark.parametrize("lang", LANGS)
def test_golden_text_example_a(lang):
    expected = (GOLDEN / f"notification_A_{lang.value}.txt").read_text(encoding="utf-8")
    assert render_payment(event_a(), lang) == expected

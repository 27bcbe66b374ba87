"""The advance's own receipt, the one full notice explaining advance, final payment and waiver, and an
approval's refusal notice naming the note. Non-urgent notices are unchanged (test_notification_message)."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from contracts.events import ApprovalDecided, Department, Language, PaymentIssued, PaymentKind, PaymentLine, Program
from services.notification.advance_message import render_approval_refusal, render_receipt
from services.notification.message import render_payment
from tests.unit.test_notification_message import event_a

ADVANCE_ID = uuid.UUID("6c1f0d2e-1111-4a3e-8d6c-5e2f1a0b9c3d")


def receipt() -> PaymentIssued:
    line = PaymentLine(department=Department.civil_affairs, program=Program.temporary_assistance, amount_fen=300_000)
    return PaymentIssued(payment_id=ADVANCE_ID, total_fen=300_000, lines=(line,), decisions=(),
                         account_kind="social_security_card", account_last4="5678", kind=PaymentKind.advance)


def test_the_advance_receipt_names_amount_and_masked_account_only():
    zh, en = render_receipt(receipt()), render_receipt(receipt(), Language.en)
    assert "临时救助预付金 3,000.00 元已发放到尾号5678的社保卡" in zh
    assert "advance of 3,000.00 yuan" in en and "social security card ending 5678" in en


def urgent_a() -> PaymentIssued:
    """Example A marked urgent: 3,000 advanced, 1,000 decided: the final pays the rest, 2,000 waived."""
    full = event_a()
    lines = tuple(line for line in full.lines if line.program is not Program.temporary_assistance)
    return full.model_copy(update={"lines": lines, "total_fen": full.total_fen - 100_000, "advance_fen": 100_000,
                                   "waived_fen": 200_000})


def test_the_one_notice_explains_the_advance_the_final_payment_and_the_waiver():
    zh, en = render_payment(urgent_a()), render_payment(urgent_a(), Language.en)
    assert "合计：11,197.50 元" in zh  # every decision, as without an advance
    assert "其中临时救助已先行预付 1,000.00 元，本次支付其余 10,197.50 元。" in zh
    assert "预付金额超出核定临时救助的 2,000.00 元予以免除，无需退还。" in zh
    assert "Total: 11,197.50 yuan" in en and "remaining 10,197.50 yuan" in en and "2,000.00 yuan advanced" in en


def test_a_notice_without_an_advance_has_no_advance_line():
    assert "预付" not in render_payment(event_a()) and "advance" not in render_payment(event_a(), Language.en)


def test_the_refusal_notice_names_the_note_and_the_appeal():
    decided = ApprovalDecided(payment_id=ADVANCE_ID, approved=False, note="材料不全，请补交住院发票", decided_by="ap-li",
                              decided_at=datetime(2026, 11, 21, tzinfo=timezone.utc), total_fen=6_960_000)
    text = render_approval_refusal(decided)
    assert "经审批未予支付（69,600.00 元）" in text and "审批意见：材料不全，请补交住院发票" in text and "60日内" in text
    assert "ap-li" not in text  # who decided is recorded, not told
    assert "Approver's note: 材料不全" in render_approval_refusal(decided, Language.en)

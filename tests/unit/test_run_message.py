"""A payment run's short message, in both languages (services/notification/run_message.py)."""
from __future__ import annotations

import uuid

import pytest

from contracts.events import PaymentIssued, PaymentLine
from services.notification.run_message import render_run_payment


def issued(kind: str, program: str, total_fen: int, period: str = "2027-01", account_kind: str = "social_security_card"):
    return PaymentIssued(
        payment_id=uuid.uuid4(), total_fen=total_fen, decisions=(), account_kind=account_kind, account_last4="1111",
        lines=(PaymentLine(department="civil_affairs", program=program, amount_fen=total_fen),),
        kind=kind, recipient_id=uuid.uuid4(), period=period, run_id=uuid.uuid4())


@pytest.mark.parametrize("kind, program, total, zh, en", [
    ("monthly", "mla", 110000, "2027年1月低保金 1,100.00 元已发放到尾号1111的社保卡",
     "January 2027 minimum living allowance of 1,100.00 yuan paid to the social security card ending 1111"),
    ("monthly", "extreme_poverty", 130500, "2027年1月特困供养金 1,305.00 元已发放到尾号1111的社保卡",
     "January 2027 extreme-poverty support of 1,305.00 yuan paid to the social security card ending 1111"),
    ("price_subsidy", "low_income", 8979, "2027年1月价格临时补贴 89.79 元已发放到尾号1111的社保卡",
     "January 2027 temporary price subsidy of 89.79 yuan paid to the social security card ending 1111"),
])
def test_one_short_message_per_payment(kind, program, total, zh, en):
    event = issued(kind, program, total)
    assert render_run_payment(event, "zh") == zh
    assert render_run_payment(event, "en") == en


def test_the_month_and_account_kind_are_named():
    event = issued("monthly", "mla", 1234567, period="2028-12", account_kind="bank_card")
    assert render_run_payment(event) == "2028年12月低保金 12,345.67 元已发放到尾号1111的银行卡"
    assert render_run_payment(event, "en").startswith("December 2028 minimum living allowance of 12,345.67 yuan")

"""The referrals part of the one notice: listed with their state when there are any, absent otherwise."""
from __future__ import annotations

import uuid

import pytest

from contracts.events import Language, PaymentIssued, ReferralService, ReferralStatus
from services.notification.message import render_payment
from services.notification.referral_message import ReferralNote, referral_lines

ISSUED = PaymentIssued(payment_id=uuid.UUID(int=7), total_fen=100_000, lines=(), decisions=(),
                       account_kind="social_security_card", account_last4="1111")
CARE = ReferralNote(ReferralService.care, "home-care-centre-330106", ReferralStatus.fulfilled, automatic=True)
REPAIR = ReferralNote(ReferralService.home_repair, "home-adaptation-team-330106", ReferralStatus.refused,
                      reason="no capacity now", reason_zh="服务机构暂无居家改造名额")
TALK = ReferralNote(ReferralService.counselling, "counselling-centre-330106", ReferralStatus.made)


@pytest.mark.parametrize("lang", list(Language))
def test_without_referrals_the_notice_is_unchanged(lang):
    assert render_payment(ISSUED, lang, []) == render_payment(ISSUED, lang)
    assert referral_lines([], lang) == []


def test_chinese_lists_each_referral_in_the_services_order_with_its_state():
    assert referral_lines([REPAIR, TALK, CARE], Language.zh) == [
        "服务转介：",
        "- 照料护理：已安排，由 home-care-centre-330106 提供（依规定主动安排）",
        "- 心理疏导：已转介 counselling-centre-330106，服务机构将与您联系",
        "- 居家改造：未能安排（服务机构暂无居家改造名额），可向受理窗口另行申请",
    ]


def test_english_uses_the_english_reason():
    assert referral_lines([REPAIR, CARE], Language.en) == [
        "Services beside the payment:",
        "- care: arranged, provided by home-care-centre-330106 (arranged by rule, without asking)",
        "- home repair: could not be arranged (no capacity now); ask at the window for another provider",
    ]


def test_the_referrals_come_before_the_appeal_line():
    lines = render_payment(ISSUED, Language.en, [CARE]).splitlines()
    assert lines[-3:-1] == ["Services beside the payment:",
                            "- care: arranged, provided by home-care-centre-330106 (arranged by rule, without asking)"]
    assert lines[-1].startswith("If you disagree")

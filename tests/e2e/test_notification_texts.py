"""The one message each worked example's citizen receives, read through the running API.

Uses the session's `worked_examples` (tests/e2e/conftest.py): each applicant submits once; the
English case re-submits example A only after that application is notified and its applicant free.
"""
from __future__ import annotations

import copy
import re

import pytest

from contracts.events import Language, Program
from services.kit.money import format_yuan
from services.notification.message import APPEAL_DAYS, LABELS
from tests.conftest import EXAMPLES, EXPECTED

ZH_PROGRAMS = LABELS[Language.zh]["program"]
EN_PROGRAMS = LABELS[Language.en]["program"]


def check_common(text: str, name: str, view: dict) -> None:
    number = EXAMPLES[name]["payout_account"]["number"]
    assert number[-4:] in text, f"{name}: last 4 digits of the account"
    assert number not in text, f"{name}: the full account number must not appear"
    assert format_yuan(EXPECTED[name]["total_fen"]) in text, f"{name}: total in yuan"
    assert view["payment"] and view["payment"]["payment_id"] in text, f"{name}: payment id"
    assert str(APPEAL_DAYS) in text, f"{name}: appeal days"


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_worked_example_text_in_chinese(worked_examples, name):
    view = worked_examples[name]
    text = view["notification"]["text"]
    check_common(text, name, view)
    assert len(view["decisions"]) == 5
    for decision in view["decisions"]:
        assert ZH_PROGRAMS[Program(decision["program"])] in text, f"{name}: {decision['program']}"
        assert decision["reason"] not in text, f"{name}: the caseworkers' English reason, not the citizen's"
    reasons = [line.split("理由：", 1)[1] for line in text.splitlines() if "理由：" in line]
    assert len(reasons) == 5 and not any(re.search(r"[A-Za-z]", r) for r in reasons), f"{name}: {reasons}"
    assert f"合计：{format_yuan(EXPECTED[name]['total_fen'])} 元" in text
    assert f"{APPEAL_DAYS}日内" in text


def test_english_submission_gets_english_text(system, worked_examples):
    """Example A again with "language": "en", once A's first application is notified (applicant free)."""
    assert worked_examples["A"]["status"] == "notified"
    body = copy.deepcopy(EXAMPLES["A"])
    body["language"] = "en"
    view = system.wait_status(system.submit(body))
    assert view["rejection"] is None
    text = view["notification"]["text"]
    check_common(text, "A", view)
    assert f"Total: {format_yuan(EXPECTED['A']['total_fen'])} yuan" in text
    assert f"within {APPEAL_DAYS} days" in text
    for decision in view["decisions"]:
        program = Program(decision["program"])
        assert EN_PROGRAMS[program] in text, program
        assert ZH_PROGRAMS[program] not in text, program
        assert decision["reason"] in text, program
    assert "合计" not in text and "支付编号" not in text

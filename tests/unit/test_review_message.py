"""An annual review's message: one short text to a household whose status or amount changed, none otherwise."""
from __future__ import annotations

import uuid
from datetime import date

import pytest

from contracts.events import Language, RecipientChange, RecipientChanged, RecipientStatus
from contracts.reviews import ReviewIn, effective_period, review_id_of
from services.intake.reviews import refusals
from services.notification.review_message import render_review
from services.notification.reviews import message_id_of

REVIEW = review_id_of(date(2027, 1, 15))


def changed(change: str, status: str, amount: int, prior_status: str = "mla", prior: int = 92_000, **extra) -> RecipientChanged:
    fields = dict(recipient_id=uuid.uuid4(), change=RecipientChange(change), status=RecipientStatus(status),
                  monthly_amount_fen=amount, members=4, region_code="610630", enrolled_on=date(2026, 1, 10),
                  next_review_on=date(2028, 1, 15), effective_period="2027-02", reason="the rule, with figures",
                  reason_zh="规则与数字", review_id=REVIEW, prior_status=prior_status and RecipientStatus(prior_status),
                  prior_monthly_amount_fen=prior)
    return RecipientChanged(**(fields | extra))


def test_an_adjusted_amount_names_the_period_the_new_and_the_old_amount_and_why():
    event = changed("adjusted", "mla", 111_000)
    assert render_review(event) == "年审结果：自2027年2月起，您家的低保金调整为每月 1,110.00 元（原 920.00 元）。原因：规则与数字"
    assert render_review(event, Language.en) == ("Annual review: from February 2027, your household's minimum living allowance "
                                                 "is 1,110.00 yuan a month (was 920.00 yuan). Reason: the rule, with figures")


def test_an_exit_says_what_ends_and_from_when():
    event = changed("exited", "exited", 0)
    assert render_review(event) == "年审结果：自2027年2月起，您家不再享受最低生活保障。原因：规则与数字"
    assert render_review(event, "en").startswith("Annual review: from February 2027, your household no longer receives "
                                                 "minimum living allowance.")


def test_a_change_of_status_with_and_without_cash():
    down = render_review(changed("changed", "low_income", 0))
    assert down.startswith("年审结果：自2027年2月起，您家由最低生活保障改为低收入（边缘）认定，不再按月发放生活费（原每月 920.00 元）")
    up = render_review(changed("changed", "mla", 76_500, prior_status="low_income", prior=0), "en")
    assert "from low-income (margin) status to minimum living allowance: 765.00 yuan a month (no monthly payment before)" in up


@pytest.mark.parametrize("change", ["continued", "enrolled", "imported"])
def test_no_message_when_nothing_changed_for_the_household(change):
    assert render_review(changed(change, "mla", 92_000)) is None


def test_an_event_of_no_review_gets_no_review_message():
    assert render_review(changed("adjusted", "mla", 111_000, review_id=None, prior_status=None)) is None


def test_one_message_id_per_household_per_review():
    household = uuid.uuid4()
    assert message_id_of(REVIEW, household) == message_id_of(REVIEW, household)
    assert message_id_of(REVIEW, household) != message_id_of(review_id_of(date(2028, 1, 15)), household)


def test_the_review_body_and_its_id():
    assert ReviewIn.model_validate({"as_of": "2027-01-01"}).as_of == date(2027, 1, 1)
    assert review_id_of(date(2027, 1, 1)) == review_id_of(ReviewIn.model_validate({"as_of": "2027-01-01"}).as_of)
    assert review_id_of(date(2027, 1, 1)) != review_id_of(date(2027, 1, 2))
    for bad in ({"as_of": "2027-01-01", "period": "2027-01"}, {"as_of": 1798761600}, {"as_of": "2027-01-01T00:00:00"},
                {"as_of": "2027-02-30"}, {}):
        with pytest.raises(ValueError):
            ReviewIn.model_validate(bad)
    assert effective_period(date(2027, 12, 31)) == "2028-01"


def test_a_review_needs_a_policy_in_force_where_it_takes_effect():
    assert refusals(ReviewIn(as_of=date(2027, 1, 1))) == []
    refused = refusals(ReviewIn(as_of=date(2022, 11, 30)))  # 2022-12: before the first version (2023-01-01)
    assert [r["field"] for r in refused] == ["as_of"] and "no policy in force for 2022-12" in refused[0]["message"]

"""The caseload's pure arithmetic: recipient ids, periods, review dates, the month's amount, the terms of a period."""
from __future__ import annotations

from datetime import date

from contracts.application import ApplicationIn
from services.caseload import amounts
from services.kit.policy import policy_for_period
from services.verification.facts import derive_facts
from tests.conftest import EXAMPLES


def test_one_household_one_recipient_id_whatever_the_case_of_x():
    assert amounts.recipient_id_of("11010519491231002x") == amounts.recipient_id_of("11010519491231002X")
    assert amounts.recipient_id_of("110105194912310021") != amounts.recipient_id_of("11010519491231002X")


def test_periods_and_review_dates():
    assert amounts.next_period(date(2026, 12, 3)) == "2027-01"
    assert amounts.next_period(date(2027, 1, 31)) == "2027-02"
    assert amounts.review_due_on(date(2026, 12, 3)) == date(2027, 12, 3)
    assert amounts.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert amounts.add_months(date(2027, 12, 31), 2) == date(2028, 2, 29)


def test_monthly_amount_follows_the_version_of_the_period():
    facts = derive_facts(ApplicationIn.model_validate(EXAMPLES["C"]), date(2026, 11, 20))
    old, new = amounts.monthly_amount_fen("extreme_poverty", facts, policy_for_period("2027-12")), \
        amounts.monthly_amount_fen("extreme_poverty", facts, policy_for_period("2028-01"))
    assert (old, new) == (130500, 135500)  # one member at 1,120 then 1,170 yuan, plus a 185-yuan care subsidy
    assert amounts.monthly_amount_fen("low_income", facts, policy_for_period("2028-01")) == 0


def test_a_reviewed_change_holds_from_its_period_and_the_prior_terms_before():
    terms = dict(status="mla", facts_json="new", exited_from=None, prior_status="extreme_poverty",
                 prior_facts_json="old", changed_from="2027-03")
    assert amounts.terms_for_period("2027-02", **terms) == ("extreme_poverty", "old")
    assert amounts.terms_for_period("2027-03", **terms) == ("mla", "new")
    exited = dict(terms, status="exited", exited_from="2027-03")
    assert amounts.terms_for_period("2027-02", **exited) == ("extreme_poverty", "old")
    assert amounts.terms_for_period("2027-03", **exited) is None

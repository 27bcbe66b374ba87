"""The annual review's decision, pure: fresh facts from the registries, the four outcomes, the effective period."""
from __future__ import annotations

from datetime import date

import pytest

from contracts.application import ApplicationIn
from contracts.events import HouseholdStatus, RecipientChange, RecipientStatus, RegistryPerson
from contracts.reviews import effective_period
from services.caseload import review_rules
from services.kit.policy import policy_for_period
from services.verification.facts import derive_facts
from tests.conftest import EXAMPLES

SUBMITTED = date(2026, 11, 20)
AS_OF = date(2027, 11, 20)  # a year on; the outcome holds from 2027-12, still the 2023 version (S = 855 yuan)
STATUS = {"A": "mla", "C": "extreme_poverty", "D": "low_income"}


def household(name: str):
    body = EXAMPLES[name]
    return derive_facts(ApplicationIn.model_validate(body), SUBMITTED), body["household"]["members"], body


def registry(body: dict, position: int = 1, **figures) -> dict[str, RegistryPerson]:
    """The registries know one member (1-based position), with these figures."""
    member = body["household"]["members"][position - 1]
    record = {"hukou_region": body["region_code"], "alive": True, "disability_grade": member.get("disability_grade"),
              "monthly_income_fen": member["monthly_income_fen"], "financial_assets_fen": 0, "vehicles": 0, **figures}
    return {member["id_number"]: RegistryPerson(id_number=member["id_number"], known=True, **record)}


def reviewed(name: str, people: dict | None = None, as_of: date = AS_OF):
    facts, members, body = household(name)
    return review_rules.review(STATUS[name], facts, members, body["applicant_id_number"], people or {}, as_of)


def test_unchanged_facts_continue_with_the_same_status_and_amount():
    for name, amount in (("A", 92_000), ("C", 130_500), ("D", 0)):
        outcome = reviewed(name)
        assert (outcome.change, outcome.status.value, outcome.monthly_amount_fen) == \
            (RecipientChange.continued, STATUS[name], amount), name
        assert outcome.prior_amount_fen == amount and outcome.effective_period == "2027-12"


def test_a_lower_income_in_the_registry_adjusts_the_amount_and_the_reason_names_both_figures():
    outcome = reviewed("A", registry(EXAMPLES["A"], monthly_income_fen=180_000))
    assert (outcome.change, outcome.status, outcome.monthly_amount_fen, outcome.prior_amount_fen) == \
        (RecipientChange.adjusted, RecipientStatus.mla, 342_000 - 180_000, 92_000)
    assert "income on record 2,500.00 yuan; the income registry now shows 1,800.00 yuan" in outcome.reason
    assert "3,420.00 − income 1,800.00 = 1,620.00" in outcome.reason and "xihu-2023.1" in outcome.reason
    assert "收入登记现为 1,800.00 元" in outcome.reason_zh and "按差额每月发放 1,620.00 元" in outcome.reason_zh
    assert outcome.facts.monthly_income_fen == 180_000 and outcome.facts.submitted_on == AS_OF


def test_a_new_status_is_a_change():
    low = reviewed("D", registry(EXAMPLES["D"], monthly_income_fen=180_000))  # low_income -> mla 2,565 - 1,800
    assert (low.change, low.status, low.monthly_amount_fen, low.prior_amount_fen) == \
        (RecipientChange.changed, RecipientStatus.mla, 76_500, 0)
    up = reviewed("A", registry(EXAMPLES["A"], monthly_income_fen=400_000))  # 4,000 < 1.5 × 3,420: margin status only
    assert (up.change, up.status, up.monthly_amount_fen) == (RecipientChange.changed, RecipientStatus.low_income, 0)
    assert "low-income line 150% × 3,420.00 = 5,130.00" in up.reason


def test_no_status_any_more_is_an_exit_with_the_failed_rule_and_its_figures():
    outcome = reviewed("C", registry(EXAMPLES["C"], monthly_income_fen=180_000))
    assert (outcome.change, outcome.status, outcome.monthly_amount_fen, outcome.prior_amount_fen) == \
        (RecipientChange.exited, RecipientStatus.exited, 0, 130_500)
    assert "household income 1,800.00 ≥ low-income line 150% × 855.00 = 1,282.50" in outcome.reason
    assert "不符合最低生活保障和低收入（边缘）家庭条件" in outcome.reason_zh


def test_income_exactly_at_the_standard_is_no_longer_mla_and_one_fen_below_still_is():
    at = reviewed("A", registry(EXAMPLES["A"], monthly_income_fen=342_000))  # I = S × n: "I < S × n" fails
    assert (at.change, at.status, at.monthly_amount_fen) == (RecipientChange.changed, RecipientStatus.low_income, 0)
    assert "household income 3,420.00 ≥ standard 855.00 × 4 = 3,420.00" in at.reason
    below = reviewed("A", registry(EXAMPLES["A"], monthly_income_fen=341_999))
    assert (below.change, below.status, below.monthly_amount_fen) == (RecipientChange.adjusted, RecipientStatus.mla, 1)


def test_income_exactly_at_the_low_income_line_exits():
    at = reviewed("A", registry(EXAMPLES["A"], monthly_income_fen=513_000))  # 1.5 × 3,420 yuan
    assert at.change == RecipientChange.exited
    assert reviewed("A", registry(EXAMPLES["A"], monthly_income_fen=512_999)).change == RecipientChange.changed


def test_the_assets_registry_replaces_the_record_when_it_knows_every_member():
    body = EXAMPLES["A"]
    people = {}
    for position in range(1, 5):
        people |= registry(body, position, vehicles=1 if position == 2 else 0)
    outcome = reviewed("A", people)
    assert outcome.change == RecipientChange.exited and outcome.facts.owns_vehicle
    assert outcome.facts.financial_assets_fen == 0  # the registry's sum, not the 5,000 yuan on record
    assert "financial assets on record 5,000.00 yuan; the assets registry now shows 0.00 yuan" in outcome.reason
    assert "household owns a vehicle" in outcome.reason


def test_a_member_the_registry_records_as_deceased_is_no_longer_counted():
    outcome = reviewed("A", registry(EXAMPLES["A"], position=2, alive=False))
    assert len(outcome.facts.members) == 3  # S × 3 − 2,500 yuan = 65 yuan
    assert (outcome.change, outcome.monthly_amount_fen) == (RecipientChange.adjusted, 256_500 - 250_000)
    assert "member 2: the population registry records a death" in outcome.reason
    alone = reviewed("C", registry(EXAMPLES["C"], alive=False))
    assert (alone.change, alone.status, alone.facts) == (RecipientChange.exited, RecipientStatus.exited, None)
    assert "no member of the household is counted any more" in alone.reason


def test_members_left_out_at_application_keep_their_positions():
    facts, members, body = household("A")
    dead = derive_facts(ApplicationIn.model_validate(body), SUBMITTED, registry(body, position=2, alive=False))
    assert review_rules.counted_positions(len(members), dead) == [1, 3, 4]
    assert review_rules.counted_positions(len(members), facts) == [1, 2, 3, 4]
    # member 3's registry record applies to member 3, although the stored facts hold three members
    outcome = review_rules.review("mla", dead, members, body["applicant_id_number"],
                                  registry(body, position=3, monthly_income_fen=10_000), AS_OF)
    assert "member 3: income on record 0.00 yuan; the income registry now shows 100.00 yuan" in outcome.reason


def test_ages_are_taken_on_as_of_and_hukou_elsewhere_exits():
    facts, members, body = household("C")
    assert facts.members[0].age == 63 and reviewed("C").facts.members[0].age == 64
    moved = reviewed("C", registry(EXAMPLES["C"], hukou_region="110105"))
    assert moved.change == RecipientChange.exited and "the population registry now shows hukou in 110105" in moved.reason


def test_classify_compares_status_then_amount():
    mla = RecipientStatus.mla
    assert review_rules.classify(mla, 92_000, HouseholdStatus.mla, 92_000) == RecipientChange.continued
    assert review_rules.classify(mla, 92_000, HouseholdStatus.mla, 92_001) == RecipientChange.adjusted
    assert review_rules.classify(mla, 92_000, HouseholdStatus.extreme_poverty, 92_000) == RecipientChange.changed
    assert review_rules.classify(RecipientStatus.low_income, 0, HouseholdStatus.low_income, 0) == RecipientChange.continued
    assert review_rules.classify(mla, 92_000, HouseholdStatus.none, 0) == RecipientChange.exited


@pytest.mark.parametrize("as_of, period", [(date(2027, 1, 1), "2027-02"), (date(2027, 1, 31), "2027-02"),
                                           (date(2027, 12, 3), "2028-01"), (date(2028, 2, 29), "2028-03")])
def test_an_outcome_takes_effect_from_the_period_after_as_ofs_month(as_of, period):
    assert effective_period(as_of) == period
    assert reviewed("A", as_of=as_of).effective_period == period


def test_a_review_in_december_decides_januarys_status_under_januarys_version():
    """The 2028 raise (S = 900 yuan) is in force when a review of 2027-12-03 takes effect: the household is
    re-decided under it, and the raise alone is no adjustment (both amounts under the same version)."""
    assert review_rules.review_policy(date(2027, 12, 3)) == policy_for_period("2028-01")
    same = reviewed("A", as_of=date(2027, 12, 3))
    assert (same.change, same.monthly_amount_fen, same.prior_amount_fen) == (RecipientChange.continued, 110_000, 110_000)
    # 3,500 yuan for 4 is mla under 900 × 4 = 3,600 (it would be low_income under 855 × 4 = 3,420)
    kept = reviewed("A", registry(EXAMPLES["A"], monthly_income_fen=350_000), as_of=date(2027, 12, 3))
    assert (kept.change, kept.status, kept.monthly_amount_fen) == (RecipientChange.adjusted, RecipientStatus.mla, 10_000)
    assert "xihu-2028.1" in kept.reason

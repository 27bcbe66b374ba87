"""An imported household's facts and amount (services.caseload.imported): the registries win, the status implies the rest."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest

from contracts.caseload import CaseloadLine
from contracts.events import RegistryPerson, Residence
from services.caseload import amounts
from services.caseload.imported import Refused, digest, facts_of, members_of, terms_of
from services.kit.policy import policy_on
from tests.caseload_lines import fresh_id, household

TODAY = date(2026, 12, 3)
POLICY = policy_on(TODAY)  # xihu-2023.1: S = 855 yuan, extreme-poverty basic support 1,120 yuan


def line_of(body: dict) -> CaseloadLine:
    return CaseloadLine.model_validate_json(json.dumps(body))


def known(id_number: str, **fields) -> RegistryPerson:
    values = dict(hukou_region="610630", alive=True, disability_grade=None, monthly_income_fen=0, financial_assets_fen=0,
                  vehicles=0, recorded_at=datetime(2026, 11, 1, tzinfo=timezone.utc))
    return RegistryPerson(id_number=id_number, known=True, **(values | fields))


def test_the_worked_figure_an_mla_household_of_two_with_600_yuan():
    terms = terms_of(line_of(household("mla", (40_000, 20_000))), {}, TODAY, POLICY)
    assert terms.monthly_amount_fen == 855_00 * 2 - 600_00 == 111_000
    assert (terms.first_period, terms.next_review_on) == ("2027-01", date(2026, 6, 1))  # overdue reviews stay overdue
    assert "monthly allowance standard 1,710.00 − income 600.00 = 1,110.00 under xihu-2023.1" in terms.reason
    assert "每月 1,110.00 元" in terms.reason_zh
    assert terms.recipient_id == amounts.recipient_id_of(terms.line.applicant_id_number) and not terms.zero_amount


def test_ages_come_from_the_id_numbers_on_the_import_day():
    born = date(1960, 12, 4)  # 66 tomorrow
    line = line_of(household("mla", (0, 0), ids=[fresh_id(born=born), fresh_id(born=date(2015, 1, 1))]))
    facts = facts_of(line, {}, TODAY)
    assert [m.age for m in facts.members] == [65, 11] and facts.submitted_on == TODAY


def test_facts_no_one_gave_are_those_the_status_implies():
    for status, supporter in (("extreme_poverty", False), ("mla", True), ("low_income", True)):
        facts = facts_of(line_of(household(status, (0,))), {}, TODAY)
        assert (facts.residence, facts.has_supporter) == (Residence.hukou, supporter), status
        assert (facts.financial_assets_fen, facts.owns_vehicle, facts.oop_fen, facts.emergency_loss_fen) == (0, False, 0, 0)
        assert [m.declared_only for m in facts.members] == [True]


def test_the_registries_win_over_the_line():
    applicant, spouse = fresh_id(), fresh_id()
    line = line_of(household("mla", (30_000, 30_000), ids=[applicant, spouse], disability_grade=3))
    people = {applicant: known(applicant, monthly_income_fen=10_000, disability_grade=1, financial_assets_fen=200_000),
              spouse: known(spouse, monthly_income_fen=45_000, vehicles=1)}
    terms = terms_of(line, people, TODAY, POLICY)
    facts = terms.facts
    assert [(m.monthly_income_fen, m.disability_grade, m.declared_only) for m in facts.members] == [
        (10_000, 1, False), (45_000, None, False)]
    # every member known: the assets registry's figures replace the implied none
    assert (facts.monthly_income_fen, facts.financial_assets_fen, facts.owns_vehicle) == (55_000, 200_000, True)
    assert terms.monthly_amount_fen == 171_000 - 55_000  # the status is the line's; its amount is on the registry's figures
    assert "member 1: declared income 300.00 yuan; the income registry shows 100.00 yuan" in terms.reason
    assert len(facts.registry_checks) == 12


def test_hukou_elsewhere_in_the_population_registry_is_not_local():
    applicant = fresh_id()
    facts = facts_of(line_of(household("mla", (0,), ids=[applicant])), {applicant: known(applicant, hukou_region="330106")},
                     TODAY)
    assert facts.residence == Residence.other and "hukou in 330106" in facts.registry_notes[0]


def test_a_deceased_member_is_not_counted_and_a_deceased_applicant_refuses_the_line():
    applicant, late = fresh_id(), fresh_id()
    line = line_of(household("extreme_poverty", (0, 0), ids=[applicant, late]))
    terms = terms_of(line, {late: known(late, alive=False)}, TODAY, POLICY)
    assert len(terms.facts.members) == 1 and terms.monthly_amount_fen == 112_000
    assert len(members_of(line)) == 2  # the caseload still holds the line's members (the review sees them)
    with pytest.raises(Refused) as refused:
        terms_of(line, {applicant: known(applicant, alive=False)}, TODAY, POLICY)
    assert refused.value.rule == "applicant_deceased"


def test_extreme_poverty_pays_basic_support_and_care_subsidies():
    line = line_of(household("extreme_poverty", (0, 0), care_level="disabled"))
    assert terms_of(line, {}, TODAY, POLICY).monthly_amount_fen == 2 * 112_000 + 148_000


def test_an_amount_of_zero_for_a_monthly_status_is_flagged_and_low_income_pays_no_cash():
    rich = terms_of(line_of(household("mla", (90_000, 90_000))), {}, TODAY, POLICY)  # 1,800 ≥ 1,710 yuan
    assert (rich.monthly_amount_fen, rich.zero_amount) == (0, True) and "the rules give nothing to pay" in rich.reason
    margin = terms_of(line_of(household("low_income", (50_000, 50_000))), {}, TODAY, POLICY)
    assert (margin.monthly_amount_fen, margin.zero_amount) == (0, False)


def test_the_amount_uses_the_policy_of_the_import_day():
    line = line_of(household("mla", (30_000, 30_000)))
    after_the_raise = date(2028, 1, 15)
    assert terms_of(line, {}, after_the_raise, policy_on(after_the_raise)).monthly_amount_fen == 90_000 * 2 - 60_000


def test_the_digest_moves_with_the_household_not_with_the_calendar():
    body = household("mla", (30_000, 30_000))
    line = line_of(body)
    today, later = terms_of(line, {}, TODAY, POLICY), terms_of(line, {}, date(2027, 6, 1), POLICY)
    assert today.digest == later.digest  # another day, older members: the same terms
    other_account = line_of({**body, "payout_account": {"kind": "bank_card", "number": "6222000000009999"}})
    assert terms_of(other_account, {}, TODAY, POLICY).digest != today.digest
    applicant = line.applicant_id_number
    registered = terms_of(line, {applicant: known(applicant, monthly_income_fen=30_000)}, TODAY, POLICY)
    assert registered.monthly_amount_fen == today.monthly_amount_fen and registered.digest != today.digest
    assert digest(line, today.facts, 1) != today.digest

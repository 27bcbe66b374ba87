"""The registry wins over the declaration (DOMAIN.md "Registries instead of paper"): pure, on the worked examples."""
from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest

from contracts.events import RegistryPerson, Residence
from services.departments.civil_affairs import rules as civil_affairs
from services.kit.policy import policy_on
from services.verification.facts import derive_facts
from services.verification.reconcile import Refused
from tests.unit.test_facts import EXAMPLES, SUBMITTED_ON, app_of

A = EXAMPLES["A"]  # mla household of 4 in 610630: income 2,500 yuan (member 1 only), assets 5,000 yuan, no vehicle
MEMBERS = [m["id_number"] for m in A["household"]["members"]]
RECORDED = datetime(2026, 11, 1, tzinfo=timezone.utc)


def person(id_number: str, **fields) -> RegistryPerson:
    values = dict(hukou_region="610630", alive=True, disability_grade=None, monthly_income_fen=0,
                  financial_assets_fen=0, vehicles=0, recorded_at=RECORDED)
    values.update(fields)
    return RegistryPerson(id_number=id_number, known=True, **values)


def as_declared() -> dict[str, RegistryPerson]:
    """Registries that agree with example A's declaration in every figure."""
    people = {i: person(i) for i in MEMBERS}
    people[MEMBERS[0]] = person(MEMBERS[0], monthly_income_fen=250_000, financial_assets_fen=500_000)
    return people


def facts(people: dict[str, RegistryPerson], body: dict | None = None):
    return derive_facts(app_of("A", body or A), SUBMITTED_ON, people)


def living(facts_):
    return civil_affairs.decide_living(facts_, policy_on(SUBMITTED_ON))[0]


def test_registries_that_agree_change_nothing_but_the_marks():
    agreed, declared = facts(as_declared()), derive_facts(app_of("A"), SUBMITTED_ON)
    assert agreed.registry_notes == () and not any(m.declared_only for m in agreed.members)
    assert all(m.declared_only for m in declared.members)  # no registry answer: every member on the declaration
    assert living(agreed) == living(declared) and living(agreed).amount_fen == 92_000
    assert len(agreed.registry_checks) == 4 * 6 and {c.registry for c in agreed.registry_checks} == {
        "population", "income", "assets", "disability"}


def test_the_income_registry_wins_and_the_reason_names_both_figures():
    people = as_declared()
    people[MEMBERS[0]] = person(MEMBERS[0], monthly_income_fen=310_000, financial_assets_fen=500_000)
    decided = facts(people)
    assert decided.monthly_income_fen == 310_000
    decision = living(decided)
    assert decision.amount_fen == 342_000 - 310_000  # S x n - I with the registry's income: 320 yuan, not 920
    assert "member 1: declared income 2,500.00 yuan; the income registry shows 3,100.00 yuan" in decision.reason
    assert "申报月收入 2,500.00 元，收入登记为 3,100.00 元" in decision.reason_zh


def test_a_person_no_registry_knows_is_decided_on_the_declaration_and_marked():
    people = as_declared()
    del people[MEMBERS[2]]
    decided = facts(people)
    assert [m.declared_only for m in decided.members] == [False, False, True, False]
    assert decided.financial_assets_fen == 500_000 and decided.registry_notes == ()


def test_a_deceased_member_is_not_counted():
    people = as_declared()
    people[MEMBERS[1]] = person(MEMBERS[1], alive=False)
    decided = facts(people)
    assert len(decided.members) == 3
    assert living(decided).amount_fen == 855 * 100 * 3 - 250_000  # S x 3 - I
    assert any("records a death" in note for note in decided.registry_notes)


def test_a_deceased_applicant_is_refused():
    people = as_declared()
    people[MEMBERS[0]] = person(MEMBERS[0], alive=False, monthly_income_fen=250_000, financial_assets_fen=500_000)
    with pytest.raises(Refused) as refused:
        facts(people)
    assert refused.value.rule == "applicant_deceased"


def test_hukou_in_another_region_is_not_local_residence():
    people = as_declared()
    people[MEMBERS[0]] = person(MEMBERS[0], hukou_region="330106", monthly_income_fen=250_000, financial_assets_fen=500_000)
    decided = facts(people)
    assert decided.residence == Residence.other
    assert "declared hukou in 610630; the population registry shows hukou in 330106" in decided.registry_notes
    assert living(decided).outcome.value == "denied"


def test_a_registered_local_hukou_wins_over_a_declared_permit():
    body = copy.deepcopy(A)
    body["residence"] = "residence_permit"
    assert facts(as_declared(), body).residence == Residence.hukou


def test_a_registered_disability_grade_changes_labour_capacity():
    people = as_declared()
    people[MEMBERS[0]] = person(MEMBERS[0], disability_grade=1, monthly_income_fen=250_000, financial_assets_fen=500_000)
    decided = facts(people)
    assert decided.members[0].disability_grade == 1
    assert "member 1: declared disability grade none; the disability registry shows 1" in decided.registry_notes


def test_assets_and_vehicles_from_the_registry_when_it_knows_every_member():
    people = as_declared()
    people[MEMBERS[3]] = person(MEMBERS[3], financial_assets_fen=9_000_000, vehicles=1)
    decided = facts(people)
    assert decided.financial_assets_fen == 9_500_000 and decided.owns_vehicle is True
    assert living(decided).outcome.value == "denied"  # assets above 24 x S x 4 = 82,080 yuan, and a vehicle


def test_with_some_members_unknown_the_declaration_is_raised_to_what_the_registry_shows():
    people = as_declared()
    del people[MEMBERS[1]]
    people[MEMBERS[3]] = person(MEMBERS[3], financial_assets_fen=700_000, vehicles=1)
    decided = facts(people)
    assert decided.financial_assets_fen == 1_200_000 and decided.owns_vehicle is True


def test_left_out_declarations_are_taken_from_the_registries():
    body = copy.deepcopy(A)
    for member in body["household"]["members"]:
        del member["monthly_income_fen"]
    del body["household"]["financial_assets_fen"]
    del body["household"]["owns_vehicle"]
    assert living(facts(as_declared(), body)).amount_fen == 92_000


@pytest.mark.parametrize("left_out", ["monthly_income_fen", "financial_assets_fen", "owns_vehicle"])
def test_a_fact_neither_declared_nor_registered_refuses(left_out):
    body = copy.deepcopy(A)
    if left_out == "monthly_income_fen":
        del body["household"]["members"][2][left_out]
    else:
        del body["household"][left_out]
    people = as_declared()
    del people[MEMBERS[2]]
    with pytest.raises(Refused) as refused:
        facts(people, body)
    assert refused.value.rule == "facts_missing"

"""Civil affairs rules: layer 1 status and living support, layer 4 temporary assistance."""
from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest

from contracts.events import (
    CareLevel, Department, HouseholdFacts, HouseholdStatus, LayerTrail, MemberFacts, Outcome, Program,
    Recurring, Residence,
)
from services.departments.civil_affairs.rules import (
    decide_living, decide_temporary, hardship_fen, lacks_labour_capacity,
)
from services.kit.policy import Policy, load_policy

DEFAULT = Path(__file__).resolve().parents[2] / "policies" / "default.toml"
POLICY = load_policy(DEFAULT)
S = 85500            # minimum living standard, fen
LIMIT_PER_MEMBER = 24 * S


def member(age: int = 40, income: int = 0, grade: int | None = None, care: CareLevel | None = None,
           diagnoses: tuple[str, ...] = ()) -> MemberFacts:
    return MemberFacts(age=age, monthly_income_fen=income, disability_grade=grade, care_level=care,
                       diagnoses=diagnoses)


def household(*members: MemberFacts, residence: Residence = Residence.hukou, assets: int = 0,
              vehicle: bool = False, supporter: bool = True, covered: int = 0, oop: int = 0,
              loss: int = 0, income: int | None = None) -> HouseholdFacts:
    members = members or (member(),)
    return HouseholdFacts(
        submitted_on=date(2026, 11, 20), region_code="330106", residence=residence, members=members,
        monthly_income_fen=sum(m.monthly_income_fen for m in members) if income is None else income,
        financial_assets_fen=assets, owns_vehicle=vehicle, has_supporter=supporter,
        covered_oop_fen=covered, oop_fen=oop, emergency_loss_fen=loss,
    )


def policy_with(section: str, **values: object) -> Policy:
    raw = tomllib.loads(DEFAULT.read_text(encoding="utf-8"))
    raw[section] = {**raw[section], **values}
    return Policy.model_validate(raw)


def status_of(facts: HouseholdFacts, policy: Policy = POLICY) -> HouseholdStatus:
    return decide_living(facts, policy)[1].status


# ---- labour capacity ----------------------------------------------------------------------

@pytest.mark.parametrize(("age", "lacks"), [(0, True), (15, True), (16, False), (59, False),
                                            (60, True), (61, True), (99, True)])
def test_labour_capacity_by_age(age: int, lacks: bool) -> None:
    assert lacks_labour_capacity(member(age=age), POLICY) is lacks


@pytest.mark.parametrize(("grade", "lacks"), [(None, False), (1, True), (2, True), (3, False), (4, False)])
def test_labour_capacity_by_disability_grade(grade: int | None, lacks: bool) -> None:
    assert lacks_labour_capacity(member(age=40, grade=grade), POLICY) is lacks


# ---- layer 1: extreme poverty -------------------------------------------------------------

def test_extreme_poverty_amount_with_care_subsidies() -> None:
    facts = household(member(age=70, care=CareLevel.disabled), member(age=10, care=CareLevel.semi_disabled),
                      member(age=30, grade=1, care=CareLevel.self_care), member(age=65), supporter=False)
    decision, trail = decide_living(facts, POLICY)
    assert decision.program == Program.extreme_poverty and decision.outcome == Outcome.approved
    assert decision.amount_fen == 4 * 112000 + 148000 + 37000 + 18500
    assert decision.recurring == Recurring.monthly and decision.layer == 1
    assert decision.department == Department.civil_affairs
    assert trail == LayerTrail(status=HouseholdStatus.extreme_poverty, living_fen=decision.amount_fen)
    assert "4 × 1,120.00 + care subsidy 1,480.00 (disabled)" in decision.reason


def test_extreme_poverty_single_elder_without_care() -> None:
    decision, _ = decide_living(household(member(age=60), supporter=False), POLICY)
    assert (decision.program, decision.amount_fen) == (Program.extreme_poverty, 112000)


def test_extreme_poverty_ignores_vehicle() -> None:
    assert status_of(household(member(age=80), supporter=False, vehicle=True)) == HouseholdStatus.extreme_poverty


def test_supporter_turns_extreme_poverty_into_mla() -> None:
    decision, trail = decide_living(household(member(age=80), supporter=True), POLICY)
    assert trail.status == HouseholdStatus.mla and decision.amount_fen == S
    assert "has an able legal supporter" in decision.reason


@pytest.mark.parametrize(("age", "status"), [(59, HouseholdStatus.mla), (60, HouseholdStatus.extreme_poverty),
                                             (16, HouseholdStatus.mla), (15, HouseholdStatus.extreme_poverty)])
def test_one_member_able_to_work_means_no_extreme_poverty(age: int, status: HouseholdStatus) -> None:
    assert status_of(household(member(age=70), member(age=age), supporter=False)) == status


@pytest.mark.parametrize(("grade", "status"), [(1, HouseholdStatus.extreme_poverty),
                                               (2, HouseholdStatus.extreme_poverty),
                                               (3, HouseholdStatus.mla), (None, HouseholdStatus.mla)])
def test_disability_grade_and_extreme_poverty(grade: int | None, status: HouseholdStatus) -> None:
    assert status_of(household(member(age=40, grade=grade), supporter=False)) == status


@pytest.mark.parametrize(("income", "status"), [(S - 1, HouseholdStatus.extreme_poverty),
                                                (S, HouseholdStatus.low_income),
                                                (S + 1, HouseholdStatus.low_income)])
def test_extreme_poverty_income_boundary(income: int, status: HouseholdStatus) -> None:
    assert status_of(household(member(age=70, income=income), supporter=False)) == status


@pytest.mark.parametrize(("assets", "status"), [(LIMIT_PER_MEMBER, HouseholdStatus.extreme_poverty),
                                                (LIMIT_PER_MEMBER + 1, HouseholdStatus.none)])
def test_extreme_poverty_asset_boundary(assets: int, status: HouseholdStatus) -> None:
    assert status_of(household(member(age=70), supporter=False, assets=assets)) == status


# ---- layer 1: mla and low income ----------------------------------------------------------

def test_mla_amount_and_reason() -> None:
    facts = household(member(income=250000), member(), member(age=15), member(age=12))
    decision, trail = decide_living(facts, POLICY)
    assert (decision.program, decision.outcome, decision.amount_fen) == (Program.mla, Outcome.approved, 92000)
    assert trail.status == HouseholdStatus.mla and trail.living_fen == 92000
    assert "standard 3,420.00 − income 2,500.00 = 920.00" in decision.reason
    assert "financial assets 0.00 ≤ limit 24 × 855.00 × 4 = 82,080.00" in decision.reason


@pytest.mark.parametrize(("income", "status", "amount"), [
    (2 * S - 1, HouseholdStatus.mla, 1),
    (2 * S, HouseholdStatus.low_income, 0),
    (2 * S + 1, HouseholdStatus.low_income, 0),
    (0, HouseholdStatus.mla, 2 * S),
])
def test_mla_income_boundary(income: int, status: HouseholdStatus, amount: int) -> None:
    decision, trail = decide_living(household(member(income=income), member()), POLICY)
    assert trail.status == status and decision.amount_fen == amount == trail.living_fen


@pytest.mark.parametrize(("income", "status"), [(256499, HouseholdStatus.low_income),
                                                (256500, HouseholdStatus.none),
                                                (256501, HouseholdStatus.none)])
def test_low_income_line_is_one_and_a_half_standards(income: int, status: HouseholdStatus) -> None:
    assert status_of(household(member(income=income), member())) == status


def test_low_income_line_compared_exactly_not_rounded() -> None:
    policy = policy_with("living", low_income_multiplier_bp=15004)  # line 1,282.842 yuan for one member
    assert status_of(household(member(income=128284)), policy) == HouseholdStatus.low_income
    assert status_of(household(member(income=128285)), policy) == HouseholdStatus.none


def test_low_income_is_approved_without_cash() -> None:
    decision, trail = decide_living(household(member(income=300000), member(), member()), POLICY)
    assert (decision.program, decision.outcome, decision.amount_fen) == (Program.low_income, Outcome.approved, 0)
    assert decision.recurring == Recurring.monthly
    assert trail == LayerTrail(status=HouseholdStatus.low_income, living_fen=0)
    assert "3,000.00 < low-income line 150% × 2,565.00 = 3,847.50" in decision.reason


@pytest.mark.parametrize(("assets", "status"), [(2 * LIMIT_PER_MEMBER - 1, HouseholdStatus.mla),
                                                (2 * LIMIT_PER_MEMBER, HouseholdStatus.mla),
                                                (2 * LIMIT_PER_MEMBER + 1, HouseholdStatus.none)])
def test_asset_limit_at_and_over(assets: int, status: HouseholdStatus) -> None:
    assert status_of(household(member(), member(), assets=assets)) == status


def test_asset_limit_over_for_low_income() -> None:
    facts = household(member(income=200000), member(), assets=2 * LIMIT_PER_MEMBER + 1)
    decision, _ = decide_living(facts, POLICY)
    assert decision.outcome == Outcome.denied
    assert "financial assets 41,040.01 > limit 24 × 855.00 × 2 = 41,040.00" in decision.reason


@pytest.mark.parametrize("income", [0, 200000])
def test_vehicle_refuses_mla_and_low_income(income: int) -> None:
    decision, trail = decide_living(household(member(income=income), member(), vehicle=True), POLICY)
    assert trail.status == HouseholdStatus.none and decision.outcome == Outcome.denied
    assert "owns a vehicle" in decision.reason


def test_status_none_is_an_mla_denial_with_reason() -> None:
    decision, trail = decide_living(household(member(income=400000), member(income=300000), member()), POLICY)
    assert (decision.program, decision.outcome, decision.amount_fen) == (Program.mla, Outcome.denied, 0)
    assert decision.recurring == Recurring.monthly
    assert trail == LayerTrail(status=HouseholdStatus.none, living_fen=0)
    assert "7,000.00 ≥ low-income line 150% × 2,565.00 = 3,847.50" in decision.reason


@pytest.mark.parametrize("residence", [Residence.residence_permit, Residence.other])
def test_living_support_needs_hukou(residence: Residence) -> None:
    facts = household(member(age=80), supporter=False, residence=residence)
    decision, trail = decide_living(facts, POLICY)
    assert (decision.outcome, decision.amount_fen, trail.status) == (Outcome.denied, 0, HouseholdStatus.none)
    assert f"residence is {residence.value}" in decision.reason and "hukou" in decision.reason


def test_income_field_is_the_household_income() -> None:
    facts = household(member(), member(), income=2 * S)  # declared I, not recomputed from members
    assert status_of(facts) == HouseholdStatus.low_income


# ---- layer 4: temporary assistance --------------------------------------------------------

def medical_trail(status: HouseholdStatus = HouseholdStatus.none, critical: int = 0,
                  assistance: int = 0) -> LayerTrail:
    return LayerTrail(status=status, living_fen=0, critical_illness_fen=critical,
                      medical_assistance_fen=assistance)


@pytest.mark.parametrize(("hardship", "amount"), [
    (200000, 100000), (200001, 100000), (999999, 100000),
    (1000000, 300000), (1000001, 300000), (2999999, 300000),
    (3000000, 500000), (7999999, 500000),
    (8000000, 1000000), (8000001, 1000000), (10**10, 1000000),
])
def test_temporary_tiers(hardship: int, amount: int) -> None:
    decision, trail = decide_temporary(household(loss=hardship), medical_trail(), POLICY)
    assert (decision.outcome, decision.amount_fen) == (Outcome.approved, amount)
    assert decision.program == Program.temporary_assistance and decision.layer == 4
    assert decision.recurring == Recurring.one_off and decision.department == Department.civil_affairs
    assert trail.temporary_fen == amount and trail.temporary_medical_part_fen == 0


def test_temporary_below_lowest_tier_is_denied() -> None:
    decision, trail = decide_temporary(household(loss=199999), medical_trail(), POLICY)
    assert (decision.outcome, decision.amount_fen, trail.temporary_fen) == (Outcome.denied, 0, 0)
    assert "1,999.99 < lowest tier 2,000.00" in decision.reason


def test_temporary_without_hardship_is_not_applicable() -> None:
    facts = household(covered=100000, oop=100000)
    decision, trail = decide_temporary(facts, medical_trail(critical=0, assistance=100000), POLICY)
    assert (decision.outcome, decision.amount_fen) == (Outcome.not_applicable, 0)
    assert trail.temporary_fen == 0 and trail.temporary_medical_part_fen == 0


def test_hardship_is_medical_remainder_plus_loss() -> None:
    facts = household(covered=1200000, oop=1680000, loss=50000)
    trail = medical_trail(HouseholdStatus.mla, critical=292500, assistance=635250)
    assert hardship_fen(facts, trail) == 1680000 - 292500 - 635250 + 50000
    facts = household(covered=100, oop=100, loss=50000)     # layers above OOP: remainder floors at 0
    assert hardship_fen(facts, medical_trail(critical=100, assistance=100)) == 50000


def test_temporary_reason_cites_figures() -> None:
    facts = household(covered=1200000, oop=1680000)
    decision, _ = decide_temporary(facts, medical_trail(HouseholdStatus.mla, 292500, 635250), POLICY)
    assert decision.amount_fen == 100000
    assert ("out-of-pocket 16,800.00 − critical-illness insurance 2,925.00 − medical assistance 6,352.50) "
            "= 7,522.50 + emergency loss 0.00 = 7,522.50 ≥ 2,000.00 → tier 1,000.00") in decision.reason


def test_temporary_covers_medical_remainder_first() -> None:
    facts = household(covered=0, oop=150000, loss=5000000)   # H = 51,500.00 -> 5,000.00
    decision, trail = decide_temporary(facts, medical_trail(), POLICY)
    assert decision.amount_fen == 500000
    assert trail.temporary_medical_part_fen == 150000


def test_temporary_medical_part_is_whole_amount_when_remainder_is_larger() -> None:
    facts = household(covered=0, oop=5640000)
    _, trail = decide_temporary(facts, medical_trail(), POLICY)
    assert trail.temporary_fen == trail.temporary_medical_part_fen == 500000


def test_temporary_never_above_hardship() -> None:
    policy = policy_with("temporary_assistance", tiers=[{"from_yuan": 2000, "amount_yuan": 3000}])
    decision, _ = decide_temporary(household(loss=250000), medical_trail(), policy)
    assert decision.amount_fen == 250000
    assert "limited to the hardship 2,500.00" in decision.reason
    decision, _ = decide_temporary(household(loss=300000), medical_trail(), policy)
    assert decision.amount_fen == 300000
    decision, _ = decide_temporary(household(loss=300001), medical_trail(), policy)
    assert decision.amount_fen == 300000


@pytest.mark.parametrize(("residence", "outcome"), [(Residence.hukou, Outcome.approved),
                                                    (Residence.residence_permit, Outcome.approved),
                                                    (Residence.other, Outcome.denied)])
def test_temporary_residence(residence: Residence, outcome: Outcome) -> None:
    decision, trail = decide_temporary(household(loss=10000000, residence=residence), medical_trail(), POLICY)
    assert decision.outcome == outcome
    if outcome == Outcome.denied:
        assert decision.amount_fen == 0 and trail.temporary_fen == 0
        assert "residence is other" in decision.reason


def test_temporary_keeps_earlier_layers_in_trail() -> None:
    trail = medical_trail(HouseholdStatus.mla, critical=10, assistance=20)
    _, updated = decide_temporary(household(loss=200000), trail, POLICY)
    assert (updated.status, updated.critical_illness_fen, updated.medical_assistance_fen) == (
        HouseholdStatus.mla, 10, 20)

"""Medical insurance rules: layer 2 critical-illness insurance, layer 3 medical assistance."""
from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest

from contracts.events import (
    Department, HouseholdFacts, HouseholdStatus, LayerTrail, MemberFacts, Outcome, Program, Recurring, Residence,
)
from services.departments.medical_insurance.rules import (
    decide, decide_critical_illness, decide_medical_assistance, is_catastrophic, medical_remainder_fen,
)
from services.kit.policy import Policy, load_policy

DEFAULT = Path(__file__).resolve().parents[2] / "policies" / "default.toml"
POLICY = load_policy(DEFAULT)
NONE, MLA, EP, LOW = (HouseholdStatus.none, HouseholdStatus.mla, HouseholdStatus.extreme_poverty,
                      HouseholdStatus.low_income)


def household(covered: int = 0, oop: int | None = None, income: int = 0, members: int = 1) -> HouseholdFacts:
    people = tuple(MemberFacts(age=40, monthly_income_fen=income if i == 0 else 0) for i in range(members))
    return HouseholdFacts(
        submitted_on=date(2026, 11, 20), region_code="330106", residence=Residence.hukou, members=people,
        monthly_income_fen=income, financial_assets_fen=0, owns_vehicle=False, has_supporter=True,
        covered_oop_fen=covered, oop_fen=covered if oop is None else oop, emergency_loss_fen=0,
    )


def policy_with(section: str, **values: object) -> Policy:
    raw = tomllib.loads(DEFAULT.read_text(encoding="utf-8"))
    raw[section] = {**raw[section], **values}
    return Policy.model_validate(raw)


# ---- layer 2 ------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [NONE, LOW, MLA, EP])
def test_no_covered_cost_is_not_applicable(status: HouseholdStatus) -> None:
    insurance, assistance, trail = decide(household(0, oop=500000), LayerTrail(status=status), POLICY)
    assert insurance.outcome == assistance.outcome == Outcome.not_applicable
    assert insurance.amount_fen == assistance.amount_fen == 0
    assert trail.critical_illness_fen == trail.medical_assistance_fen == 0


@pytest.mark.parametrize(("covered", "outcome", "amount"), [
    (1499999, Outcome.not_applicable, 0),
    (1500000, Outcome.not_applicable, 0),
    (1500001, Outcome.approved, 1),          # 0.6 fen rounds up
    (1500002, Outcome.approved, 1),          # 1.2 fen rounds down
    (8000000, Outcome.approved, 3900000),
])
def test_critical_illness_threshold_for_ordinary_households(covered: int, outcome: Outcome, amount: int) -> None:
    for status in (NONE, LOW):
        decision = decide_critical_illness(household(covered), status, POLICY)
        assert (decision.outcome, decision.amount_fen) == (outcome, amount)
        assert decision.program == Program.critical_illness_insurance and decision.layer == 2
        assert decision.department == Department.medical_insurance and decision.recurring == Recurring.one_off


@pytest.mark.parametrize(("covered", "outcome", "amount"), [
    (749999, Outcome.not_applicable, 0),
    (750000, Outcome.not_applicable, 0),
    (750001, Outcome.approved, 1),           # 0.65 -> 1
    (750010, Outcome.approved, 7),           # 6.5 -> 7 (half-up)
    (750013, Outcome.approved, 8),           # 8.45 -> 8
    (1200000, Outcome.approved, 292500),
    (900000, Outcome.approved, 97500),
])
def test_critical_illness_aided_threshold(covered: int, outcome: Outcome, amount: int) -> None:
    for status in (MLA, EP):
        decision = decide_critical_illness(household(covered), status, POLICY)
        assert (decision.outcome, decision.amount_fen) == (outcome, amount)


def test_critical_illness_reason_cites_figures() -> None:
    decision = decide_critical_illness(household(1200000), MLA, POLICY)
    assert decision.reason.endswith(
        "covered cost 12,000.00 − aided threshold (mla) 7,500.00 = 4,500.00 × 65% = 2,925.00")
    below = decide_critical_illness(household(1000000), NONE, POLICY)
    assert "10,000.00 ≤ threshold 15,000.00" in below.reason


@pytest.mark.parametrize(("ratio_bp", "amount"), [(4900, 49), (5000, 51)])
def test_critical_illness_rounds_once_half_up(ratio_bp: int, amount: int) -> None:
    policy = policy_with("critical_illness", ratio_bp=ratio_bp)    # 101 fen × 49% = 49.49, × 50% = 50.5
    assert decide_critical_illness(household(1500101), NONE, policy).amount_fen == amount


def test_critical_illness_with_zero_ratio_is_not_applicable() -> None:
    policy = policy_with("critical_illness", ratio_bp=0)
    decision = decide_critical_illness(household(2000000), NONE, policy)
    assert (decision.outcome, decision.amount_fen) == (Outcome.not_applicable, 0)


# ---- layer 3 ------------------------------------------------------------------------------

@pytest.mark.parametrize(("status", "covered", "critical", "amount"), [
    (MLA, 1200000, 292500, 635250),
    (EP, 900000, 97500, 722250),
    (LOW, 8000000, 3900000, 2460000),
    (EP, 5, 0, 5),          # 4.5 -> 5
    (MLA, 5, 0, 4),         # 3.5 -> 4
    (MLA, 15, 0, 11),       # 10.5 -> 11
    (LOW, 2, 0, 1),         # 1.2 -> 1
])
def test_assistance_ratio_by_status(status: HouseholdStatus, covered: int, critical: int, amount: int) -> None:
    decision = decide_medical_assistance(household(covered), status, critical, POLICY)
    assert (decision.outcome, decision.amount_fen) == (Outcome.approved, amount)
    assert decision.program == Program.medical_assistance and decision.layer == 3
    assert decision.recurring == Recurring.one_off


def test_assistance_reason_cites_figures() -> None:
    decision = decide_medical_assistance(household(1200000), MLA, 292500, POLICY)
    assert ("covered cost 12,000.00 − critical-illness insurance 2,925.00 = 9,075.00 × 70% = 6,352.50"
            in decision.reason)
    assert "status mla" in decision.reason


@pytest.mark.parametrize(("covered", "amount", "capped"), [
    (9999998, 5999999, False),    # 5,999,998.8 -> 5,999,999
    (10000000, 6000000, False),   # exactly the cap
    (10000002, 6000000, True),    # 6,000,001.2 -> capped
    (50000000, 6000000, True),
])
def test_assistance_cap(covered: int, amount: int, capped: bool) -> None:
    decision = decide_medical_assistance(household(covered), LOW, 0, POLICY)
    assert decision.amount_fen == amount
    assert ("capped at 60,000.00" in decision.reason) is capped


def test_assistance_cap_through_decide() -> None:
    _, assistance, trail = decide(household(100000000), LayerTrail(status=EP), POLICY)
    assert assistance.amount_fen == trail.medical_assistance_fen == 6000000


# ---- layer 3: catastrophic spending for status none ---------------------------------------

@pytest.mark.parametrize(("oop", "catastrophic"), [(599999, False), (600000, False), (600001, True)])
def test_catastrophic_boundary(oop: int, catastrophic: bool) -> None:
    facts = household(covered=100000, oop=oop, income=100000)   # line: 50% × 12 × 1,000.00 = 6,000.00
    assert is_catastrophic(facts, 0, POLICY) is catastrophic
    decision = decide_medical_assistance(facts, NONE, 0, POLICY)
    if catastrophic:
        assert (decision.outcome, decision.amount_fen) == (Outcome.approved, 50000)
        assert "catastrophic" in decision.reason
    else:
        assert (decision.outcome, decision.amount_fen) == (Outcome.denied, 0)
        assert "≤ 50% × 12 × income 1,000.00 = 6,000.00" in decision.reason
        assert "status none and not catastrophic" in decision.reason


def test_catastrophic_counts_out_of_pocket_after_insurance() -> None:
    # line 50% × 12 × 3,000.00 = 18,000.00; layer 2 = (20,000.00 − 15,000.00) × 60% = 3,000.00
    facts = household(covered=2000000, oop=2100000, income=300000)   # 21,000 − 3,000 = 18,000: not over
    insurance, assistance, _ = decide(facts, LayerTrail(status=NONE), POLICY)
    assert insurance.amount_fen == 300000
    assert (assistance.outcome, assistance.amount_fen) == (Outcome.denied, 0)
    facts = household(covered=2000000, oop=2100001, income=300000)
    _, assistance, _ = decide(facts, LayerTrail(status=NONE), POLICY)
    assert (assistance.outcome, assistance.amount_fen) == (Outcome.approved, 850000)   # 17,000.00 × 50%


def test_catastrophic_with_no_income() -> None:
    facts = household(covered=1, oop=1, income=0)
    assert is_catastrophic(facts, 0, POLICY)
    assert decide_medical_assistance(facts, NONE, 0, POLICY).amount_fen == 1   # 0.5 -> 1


@pytest.mark.parametrize("status", [LOW, MLA, EP])
def test_catastrophic_only_matters_for_status_none(status: HouseholdStatus) -> None:
    facts = household(covered=100000, oop=100000, income=10**7)     # far from catastrophic
    assert decide_medical_assistance(facts, status, 0, POLICY).outcome == Outcome.approved


# ---- the pair -----------------------------------------------------------------------------

def test_decide_chains_layer_two_into_layer_three() -> None:
    trail = LayerTrail(status=MLA, living_fen=92000)
    insurance, assistance, updated = decide(household(1200000, oop=1680000), trail, POLICY)
    assert (insurance.amount_fen, assistance.amount_fen) == (292500, 635250)
    assert updated == trail.model_copy(update={"critical_illness_fen": 292500, "medical_assistance_fen": 635250})


def test_decide_needs_the_status_of_layer_one() -> None:
    with pytest.raises(ValueError, match="status"):
        decide(household(100), LayerTrail(), POLICY)


def test_medical_remainder() -> None:
    trail = LayerTrail(status=MLA, critical_illness_fen=292500, medical_assistance_fen=635250)
    assert medical_remainder_fen(household(1200000, oop=1680000), trail) == 752250
    assert medical_remainder_fen(household(10, oop=10), trail) == 0
    assert medical_remainder_fen(household(10, oop=10), LayerTrail()) == 10

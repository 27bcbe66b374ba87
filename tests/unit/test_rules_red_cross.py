"""Red Cross rules: layer 5 major-illness relief and the fund-balance denial."""
from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path

import pytest

from contracts.events import (
    Decision, Department, HouseholdFacts, HouseholdStatus, LayerTrail, MemberFacts, Outcome, Program, Recurring,
    Residence,
)
from services.departments.red_cross.rules import decide, deny_for_fund, major_illnesses, relief_remainder_fen
from services.kit.policy import Policy, load_policy

DEFAULT = Path(__file__).resolve().parents[2] / "policies" / "default.toml"
POLICY = load_policy(DEFAULT)


def household(oop: int, diagnoses: tuple[str, ...] = ("malignant_tumor",), member_diagnoses: tuple[str, ...] = (),
              residence: Residence = Residence.hukou) -> HouseholdFacts:
    return HouseholdFacts(
        submitted_on=date(2026, 11, 20), region_code="330106", residence=residence,
        members=(MemberFacts(age=40, monthly_income_fen=0, diagnoses=member_diagnoses),),
        monthly_income_fen=0, financial_assets_fen=0, owns_vehicle=False, has_supporter=True,
        covered_oop_fen=0, oop_fen=oop, emergency_loss_fen=0, diagnoses=diagnoses,
    )


def trail(critical: int = 0, assistance: int = 0, temporary: int = 0, medical_part: int = 0) -> LayerTrail:
    return LayerTrail(status=HouseholdStatus.none, living_fen=0, critical_illness_fen=critical,
                      medical_assistance_fen=assistance, temporary_fen=temporary,
                      temporary_medical_part_fen=medical_part)


def policy_with(section: str, **values: object) -> Policy:
    raw = tomllib.loads(DEFAULT.read_text(encoding="utf-8"))
    raw[section] = {**raw[section], **values}
    return Policy.model_validate(raw)


@pytest.mark.parametrize(("remainder", "amount"), [
    (1000000, 300000), (1000001, 300000), (2999999, 300000),
    (3000000, 500000), (3000001, 500000), (5999999, 500000),
    (6000000, 1000000), (6000001, 1000000), (10**10, 1000000),
])
def test_relief_tiers(remainder: int, amount: int) -> None:
    decision, updated = decide(household(remainder), trail(), POLICY)
    assert (decision.outcome, decision.amount_fen) == (Outcome.approved, amount)
    assert decision.program == Program.major_illness_relief and decision.layer == 5
    assert decision.department == Department.red_cross and decision.recurring == Recurring.one_off
    assert updated.major_illness_fen == amount


def test_relief_below_lowest_tier_is_denied() -> None:
    decision, updated = decide(household(999999), trail(), POLICY)
    assert (decision.outcome, decision.amount_fen, updated.major_illness_fen) == (Outcome.denied, 0, 0)
    assert "9,999.99 < lowest tier 10,000.00" in decision.reason


def test_relief_remainder_after_layers_two_to_four() -> None:
    facts = household(12000000)
    layers = trail(critical=3900000, assistance=2460000, temporary=500000, medical_part=500000)
    assert relief_remainder_fen(facts, layers) == 5140000
    decision, _ = decide(facts, layers, POLICY)
    assert decision.amount_fen == 500000
    assert ("malignant_tumor; medical remainder 56,400.00 − temporary assistance on it 5,000.00 = 51,400.00 "
            "≥ 30,000.00 → tier 5,000.00") in decision.reason


def test_only_the_medical_part_of_temporary_aid_reduces_the_remainder() -> None:
    facts = household(1200000)             # remainder 12,000.00; temporary 10,000.00 of which 0 medical
    assert decide(facts, trail(temporary=1000000, medical_part=0), POLICY)[0].amount_fen == 300000
    assert decide(facts, trail(temporary=1000000, medical_part=200001), POLICY)[0].outcome == Outcome.denied


def test_nothing_left_is_not_applicable() -> None:
    decision, updated = decide(household(500000), trail(critical=300000, assistance=200000), POLICY)
    assert (decision.outcome, decision.amount_fen, updated.major_illness_fen) == (Outcome.not_applicable, 0, 0)


@pytest.mark.parametrize(("diagnoses", "member_diagnoses", "found"), [
    (("malignant_tumor",), (), ("malignant_tumor",)),
    ((), ("leukemia",), ("leukemia",)),
    (("influenza", "uremia"), ("severe_burn",), ("severe_burn", "uremia")),
    (("influenza",), ("fracture",), ()),
    ((), (), ()),
])
def test_major_illness_from_household_or_members(diagnoses: tuple[str, ...], member_diagnoses: tuple[str, ...],
                                                 found: tuple[str, ...]) -> None:
    facts = household(5000000, diagnoses, member_diagnoses)
    assert major_illnesses(facts, POLICY) == found
    decision, _ = decide(facts, trail(), POLICY)
    assert decision.outcome == (Outcome.approved if found else Outcome.not_applicable)


@pytest.mark.parametrize("illness", ["uremia", "leukemia", "malignant_tumor", "organ_transplant",
                                     "severe_burn", "congenital_heart_disease"])
def test_every_major_illness_qualifies(illness: str) -> None:
    assert decide(household(1000000, (illness,)), trail(), POLICY)[0].amount_fen == 300000


@pytest.mark.parametrize("residence", list(Residence))
def test_any_residence(residence: Residence) -> None:
    assert decide(household(1000000, residence=residence), trail(), POLICY)[0].amount_fen == 300000


def test_relief_never_above_remainder() -> None:
    policy = policy_with("red_cross", tiers=[{"from_yuan": 100, "amount_yuan": 5000}])
    decision, _ = decide(household(250000), trail(), policy)
    assert decision.amount_fen == 250000
    assert "limited to the remainder 2,500.00" in decision.reason
    assert decide(household(500000), trail(), policy)[0].amount_fen == 500000
    assert decide(household(500001), trail(), policy)[0].amount_fen == 500000


# ---- the fund -----------------------------------------------------------------------------

def approved(amount: int = 500000) -> Decision:
    return decide(household(3000000 if amount == 500000 else 1000000), trail(), POLICY)[0]


@pytest.mark.parametrize("balance", [500000, 500001, 100000000])
def test_fund_that_covers_the_grant_changes_nothing(balance: int) -> None:
    decision = approved()
    assert deny_for_fund(decision, balance) == decision


@pytest.mark.parametrize("balance", [499999, 0])
def test_fund_that_cannot_cover_the_grant_denies(balance: int) -> None:
    decision = deny_for_fund(approved(), balance)
    assert (decision.outcome, decision.amount_fen) == (Outcome.denied, 0)
    assert decision.program == Program.major_illness_relief and decision.layer == 5
    assert "fund balance" in decision.reason and "grant 5,000.00" in decision.reason
    assert f"{balance // 100:,}.{balance % 100:02d}" in decision.reason
    assert decision.reason_zh.startswith(f"红十字会大病救助基金余额 {balance // 100:,}.{balance % 100:02d} 元，"
                                         "不足以支付核定的救助金 5,000.00 元，因此不予发放（原核定：")
    assert not re.search(r"[A-Za-z]", decision.reason_zh)


def test_fund_denial_of_a_decision_without_chinese_reason() -> None:
    old_event = approved().model_copy(update={"reason_zh": None})
    assert deny_for_fund(old_event, 0).reason_zh == ("红十字会大病救助基金余额 0.00 元，不足以支付核定的救助金 "
                                                     "5,000.00 元，因此不予发放")


def test_fund_leaves_non_grants_alone() -> None:
    denied, _ = decide(household(999999), trail(), POLICY)
    not_applicable, _ = decide(household(5000000, ()), trail(), POLICY)
    assert deny_for_fund(denied, 0) == denied
    assert deny_for_fund(not_applicable, 0) == not_applicable

"""Property tests over random households: the layered-aid invariants hold for every input."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.events import (
    CareLevel, Decision, HouseholdFacts, HouseholdStatus, LayerTrail, MemberFacts, Outcome, Residence,
)
from services.departments.civil_affairs import rules as civil_affairs
from services.departments.medical_insurance import rules as medical_insurance
from services.departments.red_cross import rules as red_cross
from services.kit.policy import load_policy
from tests.unit.test_rules_worked_examples import plain_chinese_problems

POLICY = load_policy(Path(__file__).resolve().parents[2] / "policies" / "default.toml")
DIAGNOSES = ("uremia", "leukemia", "malignant_tumor", "severe_burn", "influenza", "fracture")
FEN = st.integers(min_value=0, max_value=30_000_000)

members = st.builds(
    MemberFacts,
    age=st.integers(min_value=0, max_value=110),
    monthly_income_fen=st.one_of(st.just(0), st.integers(min_value=0, max_value=600_000)),
    disability_grade=st.one_of(st.none(), st.integers(min_value=1, max_value=4)),
    care_level=st.one_of(st.none(), st.sampled_from(CareLevel)),
    diagnoses=st.lists(st.sampled_from(DIAGNOSES), max_size=2, unique=True).map(tuple),
)


@st.composite
def households(draw: st.DrawFn, covered_within_oop: bool = True) -> HouseholdFacts:
    people = tuple(draw(st.lists(members, min_size=1, max_size=6)))
    covered = draw(FEN)
    oop = covered + draw(FEN) if covered_within_oop else draw(FEN)
    return HouseholdFacts(
        submitted_on=date(2026, 11, 20), region_code="330106", residence=draw(st.sampled_from(Residence)),
        members=people, monthly_income_fen=sum(m.monthly_income_fen for m in people),
        financial_assets_fen=draw(st.one_of(st.just(0), FEN)), owns_vehicle=draw(st.booleans()),
        has_supporter=draw(st.booleans()), covered_oop_fen=covered, oop_fen=oop,
        emergency_loss_fen=draw(st.one_of(st.just(0), FEN)),
        diagnoses=tuple(draw(st.lists(st.sampled_from(DIAGNOSES), max_size=3, unique=True))),
    )


def chain(facts: HouseholdFacts) -> tuple[list[Decision], list[LayerTrail]]:
    living, first = civil_affairs.decide_living(facts, POLICY)
    insurance, assistance, medical = medical_insurance.decide(facts, first, POLICY)
    temporary, fourth = civil_affairs.decide_temporary(facts, medical, POLICY)
    relief, last = red_cross.decide(facts, fourth, POLICY)
    return [living, insurance, assistance, temporary, relief], [first, medical, fourth, last]


@settings(max_examples=400, deadline=None)
@given(households(covered_within_oop=False))
def test_no_negative_amounts_and_only_grants_pay(facts: HouseholdFacts) -> None:
    decisions, _ = chain(facts)
    for decision in decisions:
        assert decision.amount_fen >= 0
        assert decision.reason
        if decision.outcome != Outcome.approved:
            assert decision.amount_fen == 0
        elif decision.layer > 1:
            assert decision.amount_fen > 0
    assert [d.layer for d in decisions] == [1, 2, 3, 4, 5]


@settings(max_examples=400, deadline=None)
@given(households(covered_within_oop=False))
def test_insurance_and_assistance_within_covered_cost_and_cap(facts: HouseholdFacts) -> None:
    _, trails = chain(facts)
    last = trails[-1]
    assert last.critical_illness_fen + last.medical_assistance_fen <= facts.covered_oop_fen
    assert last.medical_assistance_fen <= POLICY.medical_assistance_cap_fen


@settings(max_examples=400, deadline=None)
@given(households(covered_within_oop=True))
def test_medical_layers_never_exceed_out_of_pocket(facts: HouseholdFacts) -> None:
    _, trails = chain(facts)
    last = trails[-1]
    medical = (last.critical_illness_fen + last.medical_assistance_fen + last.temporary_medical_part_fen
               + last.major_illness_fen)
    assert medical <= facts.oop_fen


@settings(max_examples=400, deadline=None)
@given(households(covered_within_oop=False))
def test_tier_amounts_never_above_their_base(facts: HouseholdFacts) -> None:
    decisions, trails = chain(facts)
    medical = trails[1]
    hardship = civil_affairs.hardship_fen(facts, medical)
    assert decisions[3].amount_fen <= hardship
    assert trails[2].temporary_medical_part_fen <= decisions[3].amount_fen
    assert trails[2].temporary_medical_part_fen <= medical_insurance.medical_remainder_fen(facts, medical)
    assert decisions[4].amount_fen <= red_cross.relief_remainder_fen(facts, trails[2])
    tier_amounts = {t.amount_fen for t in POLICY.temporary_assistance.tiers}
    assert decisions[3].amount_fen in tier_amounts | {0, hardship}


@settings(max_examples=300, deadline=None)
@given(households())
def test_status_and_living_amount_follow_the_rules(facts: HouseholdFacts) -> None:
    living, trail = civil_affairs.decide_living(facts, POLICY)
    standard = POLICY.minimum_living_standard_fen * len(facts.members)
    assert trail.living_fen == living.amount_fen
    if trail.status != HouseholdStatus.none:
        assert facts.residence == Residence.hukou
        assert facts.financial_assets_fen <= POLICY.asset_limit_fen(len(facts.members))
    if trail.status == HouseholdStatus.mla:
        assert living.amount_fen == standard - facts.monthly_income_fen > 0
        assert not facts.owns_vehicle
    if trail.status == HouseholdStatus.extreme_poverty:
        assert not facts.has_supporter and facts.monthly_income_fen < standard
        assert living.amount_fen >= len(facts.members) * POLICY.extreme_poverty_basic_fen
    if trail.status in (HouseholdStatus.low_income, HouseholdStatus.none):
        assert living.amount_fen == 0


@settings(max_examples=200, deadline=None)
@given(households())
def test_aided_status_never_gets_less_critical_illness_insurance(facts: HouseholdFacts) -> None:
    ordinary = medical_insurance.decide_critical_illness(facts, HouseholdStatus.none, POLICY)
    aided = medical_insurance.decide_critical_illness(facts, HouseholdStatus.mla, POLICY)
    assert aided.amount_fen >= ordinary.amount_fen


@settings(max_examples=200, deadline=None)
@given(households(), st.integers(min_value=0, max_value=2_000_000))
def test_fund_denial_only_when_balance_is_short(facts: HouseholdFacts, balance: int) -> None:
    decisions, _ = chain(facts)
    relief = decisions[4]
    after = red_cross.deny_for_fund(relief, balance)
    if relief.outcome == Outcome.approved and relief.amount_fen > balance:
        assert (after.outcome, after.amount_fen) == (Outcome.denied, 0)
    else:
        assert after == relief


@settings(max_examples=300, deadline=None)
@given(households(covered_within_oop=False), st.integers(min_value=0, max_value=2_000_000))
def test_every_decision_has_a_plain_chinese_reason(facts: HouseholdFacts, balance: int) -> None:
    decisions, _ = chain(facts)
    for decision in [*decisions, red_cross.deny_for_fund(decisions[4], balance)]:
        assert plain_chinese_problems(decision) == [], decision.program.value


@settings(max_examples=100, deadline=None)
@given(households())
def test_rules_are_deterministic(facts: HouseholdFacts) -> None:
    assert chain(facts) == chain(facts)

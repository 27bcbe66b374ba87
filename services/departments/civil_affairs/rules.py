"""Civil affairs rulebook (pure): layer 1 status and living support, layer 4 temporary assistance.

Layer 1 tries extreme poverty, then the minimum living allowance (mla), then the low-income
margin status; each status needs every one of its checks. Layer 4 pays a tier on the
hardship left after medical insurance plus any emergency loss.
"""
from __future__ import annotations

from dataclasses import dataclass

from contracts.events import (
    Decision, Department, HouseholdFacts, HouseholdStatus, LayerTrail, MemberFacts, Outcome, Program,
    Recurring, Residence,
)
from services.departments.medical_insurance.rules import medical_remainder_fen
from services.kit.money import BASIS_POINTS, apply_ratio, format_yuan
from services.kit.policy import Policy, format_bp, pick_tier


@dataclass(frozen=True)
class Check:
    """One eligibility condition, with the figures that decided it."""
    ok: bool
    text: str


def lacks_labour_capacity(member: MemberFacts, policy: Policy) -> bool:
    rules = policy.labour_capacity
    return (member.age >= rules.elderly_from_age or member.age < rules.adult_from_age
            or member.disability_grade in rules.disability_grades)


def living_standard_fen(facts: HouseholdFacts, policy: Policy) -> int:
    """S × n."""
    return policy.minimum_living_standard_fen * len(facts.members)


def _standard_text(facts: HouseholdFacts, policy: Policy) -> str:
    return (f"standard {format_yuan(policy.minimum_living_standard_fen)} × {len(facts.members)} = "
            f"{format_yuan(living_standard_fen(facts, policy))}")


def residence_check(facts: HouseholdFacts) -> Check:
    if facts.residence == Residence.hukou:
        return Check(True, "local hukou")
    return Check(False, f"residence is {facts.residence.value}, living support needs a local hukou")


def income_check(facts: HouseholdFacts, policy: Policy) -> Check:
    """I < S × n."""
    income, standard = facts.monthly_income_fen, living_standard_fen(facts, policy)
    relation = "<" if income < standard else "≥"
    return Check(income < standard, f"household income {format_yuan(income)} {relation} "
                                    f"{_standard_text(facts, policy)}")


def low_income_check(facts: HouseholdFacts, policy: Policy) -> Check:
    """I < multiplier × S × n, compared exactly in integers."""
    income, standard = facts.monthly_income_fen, living_standard_fen(facts, policy)
    multiplier = policy.living.low_income_multiplier_bp
    ok = income * BASIS_POINTS < standard * multiplier
    line = apply_ratio(standard, multiplier)
    return Check(ok, f"household income {format_yuan(income)} {'<' if ok else '≥'} low-income line "
                     f"{format_bp(multiplier)} × {format_yuan(standard)} = {format_yuan(line)}")


def assets_check(facts: HouseholdFacts, policy: Policy) -> Check:
    """A ≤ months × S × n."""
    assets, limit = facts.financial_assets_fen, policy.asset_limit_fen(len(facts.members))
    ok = assets <= limit
    return Check(ok, f"financial assets {format_yuan(assets)} {'≤' if ok else '>'} limit "
                     f"{policy.living.asset_limit_months} × {format_yuan(policy.minimum_living_standard_fen)} "
                     f"× {len(facts.members)} = {format_yuan(limit)}")


def vehicle_check(facts: HouseholdFacts) -> Check:
    return Check(not facts.owns_vehicle, "household owns a vehicle" if facts.owns_vehicle else "no vehicle")


def supporter_check(facts: HouseholdFacts) -> Check:
    if facts.has_supporter:
        return Check(False, "has an able legal supporter")
    return Check(True, "no able legal supporter")


def labour_check(facts: HouseholdFacts, policy: Policy) -> Check:
    able = sum(not lacks_labour_capacity(member, policy) for member in facts.members)
    rules = policy.labour_capacity
    grades = "/".join(str(grade) for grade in rules.disability_grades) or "none"
    rule = (f"age ≥ {rules.elderly_from_age}, age < {rules.adult_from_age} "
            f"or disability grade {grades}")
    if able == 0:
        return Check(True, f"every member lacks labour capacity ({rule})")
    return Check(False, f"{able} of {len(facts.members)} members can work (lacking capacity: {rule})")


def status_checks(facts: HouseholdFacts, policy: Policy) -> dict[HouseholdStatus, list[Check]]:
    """The checks of each status, in the order layer 1 tries them."""
    residence, assets, vehicle = residence_check(facts), assets_check(facts, policy), vehicle_check(facts)
    income = income_check(facts, policy)
    return {
        HouseholdStatus.extreme_poverty: [residence, labour_check(facts, policy), income,
                                          supporter_check(facts), assets],
        HouseholdStatus.mla: [residence, income, assets, vehicle],
        HouseholdStatus.low_income: [residence, low_income_check(facts, policy), assets, vehicle],
    }


def extreme_poverty_support_fen(facts: HouseholdFacts, policy: Policy) -> tuple[int, str]:
    """n × basic support + each member's care subsidy."""
    n, basic = len(facts.members), policy.extreme_poverty_basic_fen
    care = [(m.care_level, policy.care_subsidy_fen(m.care_level)) for m in facts.members if m.care_level]
    amount = n * basic + sum(fen for _, fen in care)
    terms = "".join(f" + care subsidy {format_yuan(fen)} ({level.value})" for level, fen in care)
    return amount, f"monthly support {n} × {format_yuan(basic)}{terms} = {format_yuan(amount)}"


def _living_amount(status: HouseholdStatus, facts: HouseholdFacts, policy: Policy) -> tuple[int, str]:
    if status == HouseholdStatus.extreme_poverty:
        return extreme_poverty_support_fen(facts, policy)
    if status == HouseholdStatus.mla:
        standard = living_standard_fen(facts, policy)
        amount = standard - facts.monthly_income_fen
        return amount, (f"monthly allowance standard {format_yuan(standard)} − income "
                        f"{format_yuan(facts.monthly_income_fen)} = {format_yuan(amount)}")
    return 0, "margin status only, no cash (counts for medical assistance)"


def _living_decision(program: Program, outcome: Outcome, amount_fen: int, reason: str) -> Decision:
    return Decision(department=Department.civil_affairs, program=program, layer=1, outcome=outcome,
                    amount_fen=amount_fen, recurring=Recurring.monthly, reason=reason)


STATUS_LABELS = {
    HouseholdStatus.extreme_poverty: "extreme-poverty support",
    HouseholdStatus.mla: "minimum living allowance (mla)",
    HouseholdStatus.low_income: "low-income margin status",
}


def _failed(conditions: list[Check]) -> list[str]:
    return [check.text for check in conditions if not check.ok]


def decide_living(facts: HouseholdFacts, policy: Policy) -> tuple[Decision, LayerTrail]:
    """Layer 1: the first status whose checks all pass; none is an mla denial with the failed checks."""
    checks, passed_over = status_checks(facts, policy), []
    for status, conditions in checks.items():
        if all(check.ok for check in conditions):
            amount, amount_text = _living_amount(status, facts, policy)
            why_not = f" (not {', '.join(passed_over)})" if passed_over else ""
            reason = (f"{STATUS_LABELS[status]}: {'; '.join(c.text for c in conditions)}. "
                      f"{amount_text}{why_not}")
            decision = _living_decision(Program(status.value), Outcome.approved, amount, reason)
            return decision, LayerTrail(status=status, living_fen=amount)
        passed_over.append(f"{status.value}: {'; '.join(_failed(conditions))}")
    reason = ("no living-support status (mla or low-income): "
              f"{'; '.join(_failed(checks[HouseholdStatus.low_income]))}")
    decision = _living_decision(Program.mla, Outcome.denied, 0, reason)
    return decision, LayerTrail(status=HouseholdStatus.none, living_fen=0)


# ---- layer 4: temporary assistance --------------------------------------------------------

def hardship_fen(facts: HouseholdFacts, trail: LayerTrail) -> int:
    """H = max(0, OOP − layer 2 − layer 3) + emergency loss."""
    return medical_remainder_fen(facts, trail) + facts.emergency_loss_fen


def _hardship_text(facts: HouseholdFacts, trail: LayerTrail) -> str:
    return (f"hardship = max(0, out-of-pocket {format_yuan(facts.oop_fen)} − critical-illness insurance "
            f"{format_yuan(trail.critical_illness_fen or 0)} − medical assistance "
            f"{format_yuan(trail.medical_assistance_fen or 0)}) = "
            f"{format_yuan(medical_remainder_fen(facts, trail))} + emergency loss "
            f"{format_yuan(facts.emergency_loss_fen)} = {format_yuan(hardship_fen(facts, trail))}")


def _temporary_decision(outcome: Outcome, amount_fen: int, reason: str) -> Decision:
    return Decision(department=Department.civil_affairs, program=Program.temporary_assistance, layer=4,
                    outcome=outcome, amount_fen=amount_fen, recurring=Recurring.one_off,
                    reason=f"temporary assistance: {reason}")


def _temporary_outcome(facts: HouseholdFacts, trail: LayerTrail, policy: Policy) -> Decision:
    rules = policy.temporary_assistance
    if facts.residence not in rules.residences:
        allowed = " or ".join(r.value for r in rules.residences)
        return _temporary_decision(Outcome.denied, 0, f"residence is {facts.residence.value}, needs {allowed}")
    hardship, text = hardship_fen(facts, trail), _hardship_text(facts, trail)
    if hardship == 0:
        return _temporary_decision(Outcome.not_applicable, 0, f"no hardship: {text}")
    tier = pick_tier(rules.tiers, hardship)
    if tier is None:
        return _temporary_decision(Outcome.denied, 0, f"{text} < lowest tier "
                                                      f"{format_yuan(rules.tiers[0].from_fen)}")
    amount = min(tier.amount_fen, hardship)
    capped = f", limited to the hardship {format_yuan(hardship)}" if amount < tier.amount_fen else ""
    return _temporary_decision(Outcome.approved, amount, f"{text} ≥ {format_yuan(tier.from_fen)} → tier "
                                                         f"{format_yuan(tier.amount_fen)}{capped}")


def decide_temporary(facts: HouseholdFacts, trail: LayerTrail, policy: Policy) -> tuple[Decision, LayerTrail]:
    """Layer 4: the tier on hardship H, never above H; it covers the medical remainder first."""
    decision = _temporary_outcome(facts, trail, policy)
    medical_part = min(decision.amount_fen, medical_remainder_fen(facts, trail))
    trail = trail.model_copy(update={"temporary_fen": decision.amount_fen,
                                     "temporary_medical_part_fen": medical_part})
    return decision, trail

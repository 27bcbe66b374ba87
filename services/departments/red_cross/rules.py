"""Red Cross rulebook (pure): layer 5 major-illness relief, charity last.

R = the medical remainder after layers 2–3 minus the part of temporary assistance that
covered it. A tier on R, never above R, for a household with a major illness, any residence.
The fund itself is reserved elsewhere; `deny_for_fund` only turns a grant the balance cannot
cover into a denial.
"""
from __future__ import annotations

from contracts.events import Decision, Department, HouseholdFacts, LayerTrail, Outcome, Program, Recurring
from services.departments.medical_insurance.rules import medical_remainder_fen
from services.kit.money import format_yuan
from services.kit.policy import Policy, pick_tier


def major_illnesses(facts: HouseholdFacts, policy: Policy) -> tuple[str, ...]:
    """The major illnesses among the household's diagnoses (household list and members')."""
    diagnoses = set(facts.diagnoses).union(*(member.diagnoses for member in facts.members))
    return tuple(sorted(d for d in diagnoses if policy.is_major_illness(d)))


def relief_remainder_fen(facts: HouseholdFacts, trail: LayerTrail) -> int:
    """R = medical remainder − the medical part of temporary assistance."""
    return max(0, medical_remainder_fen(facts, trail) - (trail.temporary_medical_part_fen or 0))


def _remainder_text(facts: HouseholdFacts, trail: LayerTrail) -> str:
    return (f"medical remainder {format_yuan(medical_remainder_fen(facts, trail))} − temporary assistance "
            f"on it {format_yuan(trail.temporary_medical_part_fen or 0)} = "
            f"{format_yuan(relief_remainder_fen(facts, trail))}")


def _decision(outcome: Outcome, amount_fen: int, reason: str) -> Decision:
    return Decision(department=Department.red_cross, program=Program.major_illness_relief, layer=5,
                    outcome=outcome, amount_fen=amount_fen, recurring=Recurring.one_off,
                    reason=f"major-illness relief: {reason}")


def _relief(facts: HouseholdFacts, trail: LayerTrail, policy: Policy) -> Decision:
    illnesses = major_illnesses(facts, policy)
    if not illnesses:
        return _decision(Outcome.not_applicable, 0, "no major illness among the diagnoses")
    remainder, text = relief_remainder_fen(facts, trail), _remainder_text(facts, trail)
    named = ", ".join(illnesses)
    if remainder == 0:
        return _decision(Outcome.not_applicable, 0, f"{named}; nothing left to relieve: {text}")
    tiers = policy.red_cross.tiers
    tier = pick_tier(tiers, remainder)
    if tier is None:
        return _decision(Outcome.denied, 0, f"{named}; {text} < lowest tier {format_yuan(tiers[0].from_fen)}")
    amount = min(tier.amount_fen, remainder)
    capped = f", limited to the remainder {format_yuan(remainder)}" if amount < tier.amount_fen else ""
    return _decision(Outcome.approved, amount, f"{named}; {text} ≥ {format_yuan(tier.from_fen)} → tier "
                                               f"{format_yuan(tier.amount_fen)}{capped}")


def decide(facts: HouseholdFacts, trail: LayerTrail, policy: Policy) -> tuple[Decision, LayerTrail]:
    """Layer 5 on what layers 2–4 left of the medical cost."""
    decision = _relief(facts, trail, policy)
    return decision, trail.model_copy(update={"major_illness_fen": decision.amount_fen})


def deny_for_fund(decision: Decision, fund_balance_fen: int) -> Decision:
    """The decision turned into a denial when the fund balance cannot cover its grant; else unchanged."""
    if decision.outcome != Outcome.approved or decision.amount_fen <= fund_balance_fen:
        return decision
    reason = (f"major-illness relief: Red Cross fund balance {format_yuan(max(0, fund_balance_fen))} "
              f"cannot cover the grant {format_yuan(decision.amount_fen)} (was: {decision.reason.removeprefix('major-illness relief: ')})")
    return decision.model_copy(update={"outcome": Outcome.denied, "amount_fen": 0, "reason": reason})

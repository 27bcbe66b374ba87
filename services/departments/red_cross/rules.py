"""Red Cross rulebook (pure): layer 5 major-illness relief, charity last.

R = the medical remainder after layers 2–3 minus the part of temporary assistance that
covered it. A tier on R, never above R, for a household with a major illness, any residence.
The fund itself is reserved elsewhere; `deny_for_fund` only turns a grant the balance cannot
cover into a denial.
"""
from __future__ import annotations

from contracts.events import Decision, Department, HouseholdFacts, LayerTrail, Outcome, Program, Recurring
from services.departments.medical_insurance.rules import medical_remainder_fen
from services.kit.money import format_yuan, format_yuan_zh as yuan_zh
from services.kit.policy import Policy, pick_tier

# Plain Chinese for the citizen (`reason_zh`); a major illness the table does not name is "其他重大疾病".
ILLNESS_ZH = {
    "uremia": "尿毒症",
    "leukemia": "白血病",
    "malignant_tumor": "恶性肿瘤",
    "organ_transplant": "器官移植",
    "severe_burn": "重度烧伤",
    "congenital_heart_disease": "先天性心脏病",
}


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


def _remainder_zh(facts: HouseholdFacts, trail: LayerTrail) -> str:
    if not trail.temporary_medical_part_fen:
        return f"剩余医疗负担为 {yuan_zh(relief_remainder_fen(facts, trail))}"
    return (f"剩余医疗负担 {yuan_zh(medical_remainder_fen(facts, trail))}扣除临时救助中用于医疗的 "
            f"{yuan_zh(trail.temporary_medical_part_fen)}后为 {yuan_zh(relief_remainder_fen(facts, trail))}")


def _illnesses_zh(illnesses: tuple[str, ...]) -> str:
    return "、".join(dict.fromkeys(ILLNESS_ZH.get(illness, "其他重大疾病") for illness in illnesses))


def _decision(outcome: Outcome, amount_fen: int, reason: str, reason_zh: str) -> Decision:
    return Decision(department=Department.red_cross, program=Program.major_illness_relief, layer=5,
                    outcome=outcome, amount_fen=amount_fen, recurring=Recurring.one_off,
                    reason=f"major-illness relief: {reason}", reason_zh=reason_zh)


def _by_tier(facts: HouseholdFacts, trail: LayerTrail, policy: Policy, named: str, named_zh: str) -> Decision:
    """The tier on a positive remainder R, never above R."""
    remainder = relief_remainder_fen(facts, trail)
    text, zh = _remainder_text(facts, trail), _remainder_zh(facts, trail)
    tiers = policy.red_cross.tiers
    tier = pick_tier(tiers, remainder)
    if tier is None:
        return _decision(Outcome.denied, 0, f"{named}; {text} < lowest tier {format_yuan(tiers[0].from_fen)}",
                         f"家庭成员患有{named_zh}；{zh}，未达到救助起点 {yuan_zh(tiers[0].from_fen)}")
    amount = min(tier.amount_fen, remainder)
    capped = f", limited to the remainder {format_yuan(remainder)}" if amount < tier.amount_fen else ""
    capped_zh = f"（该档 {yuan_zh(tier.amount_fen)}，不超过剩余负担）" if amount < tier.amount_fen else ""
    return _decision(Outcome.approved, amount, f"{named}; {text} ≥ {format_yuan(tier.from_fen)} → tier "
                                               f"{format_yuan(tier.amount_fen)}{capped}",
                     f"家庭成员患有{named_zh}；{zh}，达到 {yuan_zh(tier.from_fen)}救助档，"
                     f"救助 {yuan_zh(amount)}{capped_zh}")


def _relief(facts: HouseholdFacts, trail: LayerTrail, policy: Policy) -> Decision:
    illnesses = major_illnesses(facts, policy)
    if not illnesses:
        return _decision(Outcome.not_applicable, 0, "no major illness among the diagnoses",
                         "家庭成员的诊断中没有重大疾病，不适用大病救助")
    named, named_zh = ", ".join(illnesses), _illnesses_zh(illnesses)
    if relief_remainder_fen(facts, trail) == 0:
        return _decision(Outcome.not_applicable, 0,
                         f"{named}; nothing left to relieve: {_remainder_text(facts, trail)}",
                         f"家庭成员患有{named_zh}，但{_remainder_zh(facts, trail)}，无需大病救助")
    return _by_tier(facts, trail, policy, named, named_zh)


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
    was = f"（原核定：{decision.reason_zh}）" if decision.reason_zh else ""
    reason_zh = (f"红十字会大病救助基金余额 {yuan_zh(max(0, fund_balance_fen))}，不足以支付核定的救助金 "
                 f"{yuan_zh(decision.amount_fen)}，因此不予发放{was}")
    return decision.model_copy(update={"outcome": Outcome.denied, "amount_fen": 0, "reason": reason,
                                       "reason_zh": reason_zh})

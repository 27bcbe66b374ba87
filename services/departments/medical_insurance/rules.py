"""Medical insurance rulebook (pure): layer 2 critical-illness insurance, layer 3 medical assistance.

"Insurance first, assistance after": layer 2 pays part of the covered cost C above a
threshold; layer 3 assists on what layer 2 left of C, by household status, capped.
"""
from __future__ import annotations

from contracts.events import (
    Decision, Department, HouseholdFacts, HouseholdStatus, LayerTrail, Outcome, Program, Recurring,
)
from services.kit.money import BASIS_POINTS, apply_ratio, format_yuan, format_yuan_zh as yuan_zh
from services.kit.policy import Policy, format_bp

# Plain Chinese for the citizen (`reason_zh`); the English `reason` stays for caseworkers.
STATUS_ZH = {
    HouseholdStatus.extreme_poverty: "特困人员",
    HouseholdStatus.mla: "低保对象",
    HouseholdStatus.low_income: "低收入（边缘）家庭",
}


def medical_remainder_fen(facts: HouseholdFacts, trail: LayerTrail) -> int:
    """What the household still pays for medical care after layers 2 and 3: max(0, OOP − L2 − L3)."""
    insured = (trail.critical_illness_fen or 0) + (trail.medical_assistance_fen or 0)
    return max(0, facts.oop_fen - insured)


def _decision(program: Program, layer: int, outcome: Outcome, amount_fen: int, reason: str,
              reason_zh: str) -> Decision:
    return Decision(
        department=Department.medical_insurance, program=program, layer=layer, outcome=outcome,
        amount_fen=amount_fen, recurring=Recurring.one_off, reason=reason, reason_zh=reason_zh,
    )


def _status(trail: LayerTrail) -> HouseholdStatus:
    if trail.status is None:
        raise ValueError("medical insurance decides after layer 1: the trail has no household status")
    return trail.status


def decide_critical_illness(facts: HouseholdFacts, status: HouseholdStatus, policy: Policy) -> Decision:
    """Layer 2: (C − threshold) × ratio when positive; aided households use the aided pair."""
    program, covered = Program.critical_illness_insurance, facts.covered_oop_fen
    if covered == 0:
        return _decision(program, 2, Outcome.not_applicable, 0,
                         "critical-illness insurance: no covered medical cost (C = 0.00)",
                         "没有合规自付医疗费用，大病保险无需报销")
    rules = policy.critical_illness
    aided = status in rules.aided_statuses
    threshold = policy.critical_illness_aided_threshold_fen if aided else policy.critical_illness_threshold_fen
    ratio_bp = rules.aided_ratio_bp if aided else rules.ratio_bp
    label = f"aided threshold ({status.value})" if aided else "threshold"
    if covered <= threshold:
        return _decision(program, 2, Outcome.not_applicable, 0,
                         f"critical-illness insurance: covered cost {format_yuan(covered)} ≤ "
                         f"{label} {format_yuan(threshold)}, nothing due",
                         f"合规自付费用 {yuan_zh(covered)}未超过起付线 {yuan_zh(threshold)}，大病保险没有可报销的部分")
    amount = apply_ratio(covered - threshold, ratio_bp)
    reason = (f"critical-illness insurance: covered cost {format_yuan(covered)} − {label} "
              f"{format_yuan(threshold)} = {format_yuan(covered - threshold)} × {format_bp(ratio_bp)} "
              f"= {format_yuan(amount)}")
    zh = (f"合规自付费用 {yuan_zh(covered)}，超过起付线 {yuan_zh(threshold)}的部分按 {format_bp(ratio_bp)} "
          f"报销：{yuan_zh(amount)}")
    return _decision(program, 2, Outcome.approved if amount else Outcome.not_applicable, amount, reason, zh)


def is_catastrophic(facts: HouseholdFacts, critical_illness_fen: int, policy: Policy) -> bool:
    """(OOP − layer 2) > share × months × I, compared exactly in integers."""
    spent = max(0, facts.oop_fen - critical_illness_fen)
    rules = policy.medical_assistance
    annual_income = rules.catastrophic_income_months * facts.monthly_income_fen
    return spent * BASIS_POINTS > annual_income * rules.catastrophic_income_share_bp


def _catastrophic_text(facts: HouseholdFacts, critical_illness_fen: int, policy: Policy) -> str:
    rules = policy.medical_assistance
    spent = max(0, facts.oop_fen - critical_illness_fen)
    annual = rules.catastrophic_income_months * facts.monthly_income_fen
    line = apply_ratio(annual, rules.catastrophic_income_share_bp)
    relation = ">" if is_catastrophic(facts, critical_illness_fen, policy) else "≤"
    return (f"out-of-pocket {format_yuan(facts.oop_fen)} − critical-illness insurance "
            f"{format_yuan(critical_illness_fen)} = {format_yuan(spent)} {relation} "
            f"{format_bp(rules.catastrophic_income_share_bp)} × {rules.catastrophic_income_months} × "
            f"income {format_yuan(facts.monthly_income_fen)} = {format_yuan(line)}")


def _catastrophic_zh(facts: HouseholdFacts, critical_illness_fen: int, policy: Policy) -> str:
    rules = policy.medical_assistance
    spent = max(0, facts.oop_fen - critical_illness_fen)
    share = format_bp(rules.catastrophic_income_share_bp)
    annual = rules.catastrophic_income_months * facts.monthly_income_fen
    line = apply_ratio(annual, rules.catastrophic_income_share_bp)
    relation = "超过" if is_catastrophic(facts, critical_illness_fen, policy) else "未超过"
    return (f"自付医疗费用 {yuan_zh(facts.oop_fen)}扣除大病保险 {yuan_zh(critical_illness_fen)}后为 "
            f"{yuan_zh(spent)}，{relation}家庭年收入的 {share}（{rules.catastrophic_income_months} 个月 × "
            f"月收入 {yuan_zh(facts.monthly_income_fen)} × {share} = {yuan_zh(line)}）")


def assistance_ratio_bp(facts: HouseholdFacts, status: HouseholdStatus, critical_illness_fen: int,
                        policy: Policy) -> tuple[int | None, str]:
    """The layer-3 ratio for this household and its label; None when status none is not catastrophic."""
    ratios = policy.medical_assistance.ratio_bp
    if status != HouseholdStatus.none:
        return getattr(ratios, status.value), f"status {status.value}"
    if is_catastrophic(facts, critical_illness_fen, policy):
        return ratios.catastrophic, f"catastrophic ({_catastrophic_text(facts, critical_illness_fen, policy)})"
    return None, _catastrophic_text(facts, critical_illness_fen, policy)


def _basis_zh(facts: HouseholdFacts, status: HouseholdStatus, critical_illness_fen: int, policy: Policy) -> str:
    """Why the household gets its layer-3 ratio, in plain Chinese (assistance_ratio_bp's label)."""
    if status != HouseholdStatus.none:
        return f"，{STATUS_ZH[status]}"
    return f"；{_catastrophic_zh(facts, critical_illness_fen, policy)}，属于因病致贫家庭，"


def _assistance_zh(facts: HouseholdFacts, basis_zh: str, critical_illness_fen: int, ratio_bp: int,
                   cap: int) -> str:
    base = max(0, facts.covered_oop_fen - critical_illness_fen)
    raw = apply_ratio(base, ratio_bp)
    text = (f"合规自付费用 {yuan_zh(facts.covered_oop_fen)}扣除大病保险 {yuan_zh(critical_illness_fen)}后为 "
            f"{yuan_zh(base)}{basis_zh}按 {format_bp(ratio_bp)} 救助：{yuan_zh(raw)}")
    return f"{text}，超过封顶线，按封顶线救助 {yuan_zh(cap)}" if raw > cap else text


def decide_medical_assistance(facts: HouseholdFacts, status: HouseholdStatus, critical_illness_fen: int,
                              policy: Policy) -> Decision:
    """Layer 3: (C − layer 2) × ratio by status (or catastrophic), capped."""
    program, base = Program.medical_assistance, max(0, facts.covered_oop_fen - critical_illness_fen)
    if base == 0:
        return _decision(program, 3, Outcome.not_applicable, 0,
                         "medical assistance: no covered medical cost left after critical-illness insurance",
                         "大病保险报销后没有剩余的合规自付费用，无需医疗救助")
    ratio_bp, basis = assistance_ratio_bp(facts, status, critical_illness_fen, policy)
    if ratio_bp is None:
        return _decision(program, 3, Outcome.denied, 0,
                         f"medical assistance: status none and not catastrophic: {basis}",
                         "家庭不是特困、低保或低收入（边缘）家庭，医疗支出也未达到因病致贫标准："
                         f"{_catastrophic_zh(facts, critical_illness_fen, policy)}")
    raw, cap = apply_ratio(base, ratio_bp), policy.medical_assistance_cap_fen
    amount = min(raw, cap)
    capped = f", capped at {format_yuan(cap)}" if raw > cap else ""
    reason = (f"medical assistance, {basis}: covered cost {format_yuan(facts.covered_oop_fen)} − "
              f"critical-illness insurance {format_yuan(critical_illness_fen)} = {format_yuan(base)} × "
              f"{format_bp(ratio_bp)} = {format_yuan(raw)}{capped}")
    zh = _assistance_zh(facts, _basis_zh(facts, status, critical_illness_fen, policy), critical_illness_fen,
                        ratio_bp, cap)
    return _decision(program, 3, Outcome.approved if amount else Outcome.not_applicable, amount, reason, zh)


def decide(facts: HouseholdFacts, trail: LayerTrail, policy: Policy) -> tuple[Decision, Decision, LayerTrail]:
    """Layers 2 and 3 on the status layer 1 left in the trail."""
    status = _status(trail)
    insurance = decide_critical_illness(facts, status, policy)
    assistance = decide_medical_assistance(facts, status, insurance.amount_fen, policy)
    trail = trail.model_copy(update={
        "critical_illness_fen": insurance.amount_fen,
        "medical_assistance_fen": assistance.amount_fen,
    })
    return insurance, assistance, trail

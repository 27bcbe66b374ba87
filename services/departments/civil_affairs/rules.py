"""Civil affairs rulebook (pure): layer 1 status and living support, layer 4 temporary assistance.

Layer 1 tries extreme poverty, then the minimum living allowance (mla), then the low-income
margin status; each status needs every one of its checks. Layer 4 pays a tier on the
hardship left after medical insurance plus any emergency loss.
"""
from __future__ import annotations

from dataclasses import dataclass

from contracts.events import (
    CareLevel, Decision, Department, HouseholdFacts, HouseholdStatus, LayerTrail, MemberFacts, Outcome,
    Program, Recurring, Residence,
)
from services.departments.medical_insurance.rules import medical_remainder_fen
from services.kit.money import BASIS_POINTS, apply_ratio, format_yuan, format_yuan_zh as yuan_zh
from services.kit.policy import Policy, format_bp, pick_tier

# Plain Chinese for the citizen (`reason_zh`); the English `reason` stays for caseworkers.
CARE_ZH = {CareLevel.disabled: "失能", CareLevel.semi_disabled: "半失能", CareLevel.self_care: "生活自理"}
RESIDENCE_ZH = {Residence.hukou: "为本地户籍", Residence.residence_permit: "持本地居住证",
                Residence.other: "既非本地户籍也无本地居住证"}
REQUIRED_RESIDENCE_ZH = {Residence.hukou: "本地户籍", Residence.residence_permit: "本地居住证",
                         Residence.other: "其他居住情况"}


@dataclass(frozen=True)
class Check:
    """One eligibility condition, with the figures that decided it (English, and plain Chinese)."""
    ok: bool
    text: str
    zh: str


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


def _standard_zh(facts: HouseholdFacts, policy: Policy) -> str:
    return (f"保障标准 {yuan_zh(living_standard_fen(facts, policy))}"
            f"（{len(facts.members)} 人 × {yuan_zh(policy.minimum_living_standard_fen)}）")


def residence_check(facts: HouseholdFacts) -> Check:
    if facts.residence == Residence.hukou:
        return Check(True, "local hukou", "本地户籍")
    return Check(False, f"residence is {facts.residence.value}, living support needs a local hukou",
                 f"申请人{RESIDENCE_ZH[facts.residence]}，生活救助需本地户籍")


def income_check(facts: HouseholdFacts, policy: Policy) -> Check:
    """I < S × n."""
    income, standard = facts.monthly_income_fen, living_standard_fen(facts, policy)
    relation = "<" if income < standard else "≥"
    zh = f"家庭月收入 {yuan_zh(income)}{'低于' if income < standard else '不低于'}{_standard_zh(facts, policy)}"
    return Check(income < standard, f"household income {format_yuan(income)} {relation} "
                                    f"{_standard_text(facts, policy)}", zh)


def low_income_check(facts: HouseholdFacts, policy: Policy) -> Check:
    """I < multiplier × S × n, compared exactly in integers."""
    income, standard = facts.monthly_income_fen, living_standard_fen(facts, policy)
    multiplier = policy.living.low_income_multiplier_bp
    ok = income * BASIS_POINTS < standard * multiplier
    line = apply_ratio(standard, multiplier)
    zh = (f"家庭月收入 {yuan_zh(income)}{'低于' if ok else '不低于'}低收入标准 {yuan_zh(line)}"
          f"（保障标准 {yuan_zh(standard)} × {format_bp(multiplier)}）")
    return Check(ok, f"household income {format_yuan(income)} {'<' if ok else '≥'} low-income line "
                     f"{format_bp(multiplier)} × {format_yuan(standard)} = {format_yuan(line)}", zh)


def assets_check(facts: HouseholdFacts, policy: Policy) -> Check:
    """A ≤ months × S × n."""
    assets, limit = facts.financial_assets_fen, policy.asset_limit_fen(len(facts.members))
    ok = assets <= limit
    months, n, s_fen = policy.living.asset_limit_months, len(facts.members), policy.minimum_living_standard_fen
    zh = (f"家庭金融资产 {yuan_zh(assets)}{'未超过' if ok else '超过'}上限 {yuan_zh(limit)}"
          f"（{months} 个月 × {yuan_zh(s_fen)} × {n} 人）")
    return Check(ok, f"financial assets {format_yuan(assets)} {'≤' if ok else '>'} limit "
                     f"{months} × {format_yuan(s_fen)} × {n} = {format_yuan(limit)}", zh)


def vehicle_check(facts: HouseholdFacts) -> Check:
    if facts.owns_vehicle:
        return Check(False, "household owns a vehicle", "家庭拥有机动车")
    return Check(True, "no vehicle", "家庭没有机动车")


def supporter_check(facts: HouseholdFacts) -> Check:
    if facts.has_supporter:
        return Check(False, "has an able legal supporter", "有具备赡养、抚养或扶养能力的法定义务人")
    return Check(True, "no able legal supporter", "没有具备赡养、抚养或扶养能力的法定义务人")


def _labour_rule_zh(policy: Policy) -> str:
    """Who lacks labour capacity, in plain Chinese."""
    rules = policy.labour_capacity
    parts = [f"{rules.elderly_from_age} 岁及以上", f"未满 {rules.adult_from_age} 岁"]
    if rules.disability_grades:
        parts.append(f"残疾等级为 {'、'.join(str(grade) for grade in rules.disability_grades)} 级")
    return f"{'、'.join(parts[:-1])}或{parts[-1]}"


def labour_check(facts: HouseholdFacts, policy: Policy) -> Check:
    able = sum(not lacks_labour_capacity(member, policy) for member in facts.members)
    rules = policy.labour_capacity
    grades = "/".join(str(grade) for grade in rules.disability_grades) or "none"
    rule = (f"age ≥ {rules.elderly_from_age}, age < {rules.adult_from_age} "
            f"or disability grade {grades}")
    rule_zh = _labour_rule_zh(policy)
    if able == 0:
        return Check(True, f"every member lacks labour capacity ({rule})", f"家庭成员均无劳动能力（{rule_zh}）")
    return Check(False, f"{able} of {len(facts.members)} members can work (lacking capacity: {rule})",
                 f"{len(facts.members)} 名家庭成员中有 {able} 人有劳动能力（无劳动能力指{rule_zh}）")


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


def _extreme_poverty_zh(facts: HouseholdFacts, policy: Policy, amount: int) -> str:
    n, basic = len(facts.members), policy.extreme_poverty_basic_fen
    terms = "".join(f" + 护理补贴 {yuan_zh(policy.care_subsidy_fen(m.care_level))}（{CARE_ZH[m.care_level]}）"
                    for m in facts.members if m.care_level)
    return f"每月发放基本生活费 {n} 人 × {yuan_zh(basic)}{terms}，共 {yuan_zh(amount)}"


def living_amount(status: HouseholdStatus, facts: HouseholdFacts, policy: Policy) -> tuple[int, str]:
    if status == HouseholdStatus.extreme_poverty:
        return extreme_poverty_support_fen(facts, policy)
    if status == HouseholdStatus.mla:
        standard = living_standard_fen(facts, policy)
        amount = standard - facts.monthly_income_fen
        return amount, (f"monthly allowance standard {format_yuan(standard)} − income "
                        f"{format_yuan(facts.monthly_income_fen)} = {format_yuan(amount)}")
    return 0, "margin status only, no cash (counts for medical assistance)"


def _living_zh(status: HouseholdStatus, facts: HouseholdFacts, policy: Policy, amount: int,
               checks: dict[HouseholdStatus, list[Check]]) -> str:
    """Plain Chinese for a granted status: the figures that decide it, then what it pays."""
    if status == HouseholdStatus.extreme_poverty:
        decisive = [labour_check(facts, policy), supporter_check(facts), income_check(facts, policy)]
        return (f"{'，'.join(c.zh for c in decisive)}，符合特困供养条件，"
                f"{_extreme_poverty_zh(facts, policy, amount)}")
    if status == HouseholdStatus.mla:
        return f"{income_check(facts, policy).zh}，按差额每月发放 {yuan_zh(amount)}"
    return (f"{'，'.join(_failed_zh(checks[HouseholdStatus.mla]))}，不能享受最低生活保障；"
            f"{low_income_check(facts, policy).zh}，认定为低收入（边缘）家庭，不发放生活费，"
            "可凭此身份享受医疗救助等帮扶")


def _living_decision(facts: HouseholdFacts, program: Program, outcome: Outcome, amount_fen: int, reason: str,
                     reason_zh: str) -> Decision:
    if facts.registry_notes:  # the registries corrected the declaration: say where, with both figures
        reason = f"{reason}. Registries: {'; '.join(facts.registry_notes)}"
        reason_zh = f"{reason_zh}。部门登记核对：{'；'.join(facts.registry_notes_zh)}"
    return Decision(department=Department.civil_affairs, program=program, layer=1, outcome=outcome,
                    amount_fen=amount_fen, recurring=Recurring.monthly, reason=reason, reason_zh=reason_zh)


STATUS_LABELS = {
    HouseholdStatus.extreme_poverty: "extreme-poverty support",
    HouseholdStatus.mla: "minimum living allowance (mla)",
    HouseholdStatus.low_income: "low-income margin status",
}


def _failed(conditions: list[Check]) -> list[str]:
    return [check.text for check in conditions if not check.ok]


def _failed_zh(conditions: list[Check]) -> list[str]:
    return [check.zh for check in conditions if not check.ok]


def decide_living(facts: HouseholdFacts, policy: Policy) -> tuple[Decision, LayerTrail]:
    """Layer 1: the first status whose checks all pass; none is an mla denial with the failed checks."""
    checks, passed_over = status_checks(facts, policy), []
    for status, conditions in checks.items():
        if all(check.ok for check in conditions):
            amount, amount_text = living_amount(status, facts, policy)
            why_not = f" (not {', '.join(passed_over)})" if passed_over else ""
            reason = (f"{STATUS_LABELS[status]}: {'; '.join(c.text for c in conditions)}. "
                      f"{amount_text}{why_not}")
            zh = _living_zh(status, facts, policy, amount, checks)
            decision = _living_decision(facts, Program(status.value), Outcome.approved, amount, reason, zh)
            return decision, LayerTrail(status=status, living_fen=amount)
        passed_over.append(f"{status.value}: {'; '.join(_failed(conditions))}")
    reason = ("no living-support status (mla or low-income): "
              f"{'; '.join(_failed(checks[HouseholdStatus.low_income]))}")
    zh = ("不符合最低生活保障和低收入（边缘）家庭条件："
          f"{'；'.join(_failed_zh(checks[HouseholdStatus.low_income]))}")
    decision = _living_decision(facts, Program.mla, Outcome.denied, 0, reason, zh)
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


def _hardship_zh(facts: HouseholdFacts, trail: LayerTrail) -> str:
    """The hardship in plain Chinese: the medical cost still unpaid, plus any emergency loss."""
    hardship, loss = yuan_zh(hardship_fen(facts, trail)), facts.emergency_loss_fen
    if not facts.oop_fen:
        return f"困难金额为突发损失 {hardship}" if loss else "没有自付医疗费用，也没有突发损失"
    medical = (f"自付医疗费用 {yuan_zh(facts.oop_fen)}扣除大病保险 {yuan_zh(trail.critical_illness_fen or 0)}、"
               f"医疗救助 {yuan_zh(trail.medical_assistance_fen or 0)}后")
    if not loss:
        return f"{medical}，困难金额为 {hardship}"
    return (f"{medical}剩余 {yuan_zh(medical_remainder_fen(facts, trail))}，加上突发损失 {yuan_zh(loss)}，"
            f"困难金额共 {hardship}")


def _temporary_decision(outcome: Outcome, amount_fen: int, reason: str, reason_zh: str) -> Decision:
    return Decision(department=Department.civil_affairs, program=Program.temporary_assistance, layer=4,
                    outcome=outcome, amount_fen=amount_fen, recurring=Recurring.one_off,
                    reason=f"temporary assistance: {reason}", reason_zh=reason_zh)


def _temporary_residence_denial(facts: HouseholdFacts, policy: Policy) -> Decision:
    residences = policy.temporary_assistance.residences
    allowed = " or ".join(r.value for r in residences)
    allowed_zh = "或".join(REQUIRED_RESIDENCE_ZH[r] for r in residences)
    return _temporary_decision(Outcome.denied, 0, f"residence is {facts.residence.value}, needs {allowed}",
                               f"申请人{RESIDENCE_ZH[facts.residence]}，临时救助需{allowed_zh}")


def _temporary_by_tier(facts: HouseholdFacts, trail: LayerTrail, policy: Policy) -> Decision:
    """The tier on a positive hardship, never above it."""
    tiers, hardship = policy.temporary_assistance.tiers, hardship_fen(facts, trail)
    text, zh = _hardship_text(facts, trail), _hardship_zh(facts, trail)
    tier = pick_tier(tiers, hardship)
    if tier is None:
        return _temporary_decision(Outcome.denied, 0, f"{text} < lowest tier {format_yuan(tiers[0].from_fen)}",
                                   f"{zh}，未达到最低救助档 {yuan_zh(tiers[0].from_fen)}")
    amount = min(tier.amount_fen, hardship)
    capped = f", limited to the hardship {format_yuan(hardship)}" if amount < tier.amount_fen else ""
    capped_zh = f"（该档 {yuan_zh(tier.amount_fen)}，不超过困难金额）" if amount < tier.amount_fen else ""
    return _temporary_decision(Outcome.approved, amount, f"{text} ≥ {format_yuan(tier.from_fen)} → tier "
                                                         f"{format_yuan(tier.amount_fen)}{capped}",
                               f"{zh}，达到 {yuan_zh(tier.from_fen)}救助档，救助 {yuan_zh(amount)}{capped_zh}")


def _temporary_outcome(facts: HouseholdFacts, trail: LayerTrail, policy: Policy) -> Decision:
    if facts.residence not in policy.temporary_assistance.residences:
        return _temporary_residence_denial(facts, policy)
    if hardship_fen(facts, trail) == 0:
        return _temporary_decision(Outcome.not_applicable, 0, f"no hardship: {_hardship_text(facts, trail)}",
                                   f"没有需要临时救助的困难：{_hardship_zh(facts, trail)}")
    return _temporary_by_tier(facts, trail, policy)


def decide_temporary(facts: HouseholdFacts, trail: LayerTrail, policy: Policy) -> tuple[Decision, LayerTrail]:
    """Layer 4: the tier on hardship H, never above H; it covers the medical remainder first."""
    decision = _temporary_outcome(facts, trail, policy)
    medical_part = min(decision.amount_fen, medical_remainder_fen(facts, trail))
    trail = trail.model_copy(update={"temporary_fen": decision.amount_fen,
                                     "temporary_medical_part_fen": medical_part})
    return decision, trail

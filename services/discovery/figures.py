"""What a fired rule says, in English and Chinese, from the figures the rules' SQL computed (integer fen; pure).

No personal data: amounts, grades and shares only, never whose.
"""
from __future__ import annotations

from contracts.events import LeadRule
from services.kit.money import format_yuan


def _pct(numerator: int, denominator: int) -> str:
    """A share in whole percent, rounded down, from integers: (3000, 5000) -> "60%"."""
    return f"{numerator * 100 // denominator}%"


def medical_spending(spending_fen: int, annual_income_fen: int, window_days: int, share_pct: int) -> LeadRule:
    return LeadRule(
        rule="medical_spending",
        figures=(f"medical spending {format_yuan(spending_fen)} yuan in {window_days} days ≥ {share_pct}% of the "
                 f"household's annual income {format_yuan(annual_income_fen)} yuan"),
        figures_zh=(f"近{window_days}天自付医疗费用{format_yuan(spending_fen)}元，达到家庭年收入"
                    f"{format_yuan(annual_income_fen)}元的{share_pct}%"))


def income_drop(before_fen: int, after_fen: int, drop_pct: int) -> LeadRule:
    down = _pct(before_fen - after_fen, before_fen)
    return LeadRule(
        rule="income_drop",
        figures=(f"household monthly income down {down} (from {format_yuan(before_fen)} to {format_yuan(after_fen)} "
                 f"yuan) ≥ {drop_pct}%"),
        figures_zh=(f"家庭月收入由{format_yuan(before_fen)}元降至{format_yuan(after_fen)}元，下降{down}，"
                    f"达到{drop_pct}%"))


def disability(grade: int, max_grade: int) -> LeadRule:
    grades_en = "grade 1" if max_grade == 1 else f"grades 1-{max_grade}"
    grades_zh = "1级" if max_grade == 1 else f"1-{max_grade}级"
    return LeadRule(rule="disability",
                    figures=f"a new disability assessment of grade {grade} ({grades_en})",
                    figures_zh=f"新评定残疾等级{grade}级（{grades_zh}）")


def death(monthly_income_fen: int) -> LeadRule:
    return LeadRule(rule="death",
                    figures=f"death of a member with a monthly income of {format_yuan(monthly_income_fen)} yuan",
                    figures_zh=f"有收入的家庭成员死亡（月收入{format_yuan(monthly_income_fen)}元）")


def report() -> LeadRule:
    return LeadRule(rule="report", figures="a hotline or crowdfunding report",
                    figures_zh="热线或网络筹款求助报告")


ORDER = ("medical_spending", "income_drop", "disability", "death", "report")


def rule_of(fired: dict, params) -> LeadRule:
    """One fired rule from its SQL row ({"rule", "a", "b"}: the rule's figures, see rules.py) and the parameters."""
    name, a, b = fired["rule"], fired.get("a"), fired.get("b")
    if name == "medical_spending":
        return medical_spending(a, b, params.window_days, params.share_pct)
    if name == "income_drop":
        return income_drop(a, b, params.drop_pct)
    if name == "disability":
        return disability(a, params.max_grade)
    if name == "death":
        return death(a)
    return report()

"""What a fired lead rule says, in English and Chinese, from integer figures; and the rules' parameters."""
from datetime import date

from services.discovery import figures
from services.discovery.rules import Params
from services.discovery.store import lead_rules
from services.kit.policy import policy_on


def test_medical_spending_in_the_words_of_the_issue():
    rule = figures.medical_spending(1_680_000, 3_000_000, 90, 50)
    assert rule.figures == ("medical spending 16,800.00 yuan in 90 days ≥ 50% of the household's annual income "
                            "30,000.00 yuan")
    assert rule.figures_zh == "近90天自付医疗费用16,800.00元，达到家庭年收入30,000.00元的50%"


def test_income_drop_shows_both_incomes_and_the_share_rounded_down():
    rule = figures.income_drop(500_000, 349_999, 30)
    assert rule.figures == "household monthly income down 30% (from 5,000.00 to 3,499.99 yuan) ≥ 30%"
    assert rule.figures_zh == "家庭月收入由5,000.00元降至3,499.99元，下降30%，达到30%"


def test_disability_death_and_report():
    assert figures.disability(1, 2).figures == "a new disability assessment of grade 1 (grades 1-2)"
    assert figures.disability(1, 1).figures_zh == "新评定残疾等级1级（1级）"
    assert figures.death(1).figures == "death of a member with a monthly income of 0.01 yuan"
    assert figures.death(300_000).figures_zh == "有收入的家庭成员死亡（月收入3,000.00元）"
    assert figures.report().figures == "a hotline or crowdfunding report"


def test_rules_come_in_a_fixed_order_from_the_sql_figures():
    params = Params.of(policy_on(date(2026, 11, 30)), date(2026, 11, 30))
    fired = [{"rule": "report", "a": None, "b": None}, {"rule": "death", "a": 100, "b": None},
             {"rule": "medical_spending", "a": 2_000_000, "b": 3_000_000}]
    assert [r.rule for r in lead_rules(fired, params)] == ["medical_spending", "death", "report"]


def test_the_parameters_come_from_the_version_in_force_on_the_as_of_day():
    params = Params.of(policy_on(date(2026, 11, 30)), date(2026, 11, 30))
    assert (params.policy_version, params.window_days, params.share_pct, params.drop_pct, params.max_grade,
            params.death_min_fen) == ("xihu-2023.1", 90, 50, 30, 2, 1)
    assert params.window_from == date(2026, 9, 2)  # the as-of day and the 89 before it
    assert ("income_drop", "mla") in params.covered and not any(rule == "medical_spending" for rule, _ in params.covered)
    assert Params.of(policy_on(date(2028, 3, 1)), date(2028, 3, 1)).policy_version == "xihu-2028.1"

"""DOMAIN.md worked examples A–D, reproduced to the fen through the whole chain of layers.

The facts are built by hand from the stories (examples/applications.json), ages come from the
birth dates inside the ID numbers on the submission date, and every expected figure is read
from jointaid/examples/expected.json (the shared worked examples).
"""
from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from contracts.events import CareLevel, Decision, HouseholdFacts, MemberFacts, Outcome, Residence
from services.departments.civil_affairs import rules as civil_affairs
from services.departments.medical_insurance import rules as medical_insurance
from services.departments.red_cross import rules as red_cross
from services.kit.money import format_yuan
from services.kit.policy import load_policy

REPO = Path(__file__).resolve().parents[2]
EXPECTED_FILE = REPO / "jointaid" / "examples" / "expected.json"  # the shared worked examples, kept in the repo
SUBMITTED_ON = date(2026, 11, 20)
POLICY = load_policy(REPO / "policies" / "default.toml")


def age_on(id_number: str, day: date = SUBMITTED_ON) -> int:
    """Full years on `day`, from the birth date in digits 7–14 of an 18-digit ID number."""
    born = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def person(id_number: str, income_fen: int, care: CareLevel | None = None,
           diagnoses: tuple[str, ...] = ()) -> MemberFacts:
    return MemberFacts(age=age_on(id_number), monthly_income_fen=income_fen, care_level=care, diagnoses=diagnoses)


def facts(members: tuple[MemberFacts, ...], bills: tuple[tuple[int, int, int, str], ...], *, assets: int,
          supporter: bool, region: str, loss: int = 0) -> HouseholdFacts:
    """bills: (total, basic_reimbursed, covered_oop, diagnosis) in fen."""
    diagnoses = [d for m in members for d in m.diagnoses] + [bill[3] for bill in bills]
    return HouseholdFacts(
        submitted_on=SUBMITTED_ON, region_code=region, residence=Residence.hukou, members=members,
        monthly_income_fen=sum(m.monthly_income_fen for m in members),               # I
        financial_assets_fen=assets, owns_vehicle=False, has_supporter=supporter,
        covered_oop_fen=sum(covered for _, _, covered, _ in bills),                  # C
        oop_fen=sum(total - reimbursed for total, reimbursed, _, _ in bills),        # OOP
        emergency_loss_fen=loss, diagnoses=tuple(dict.fromkeys(diagnoses)),
    )


EXAMPLES = {
    # A: farmer, household of 4, uremia, 16,800 yuan out of pocket
    "A": facts((person("610630197805020313", 250000, diagnoses=("uremia",)),
                person("610630198102100426", 0),
                person("610630201109010532", 0),
                person("610630201406060640", 0)),
               ((4700000, 3020000, 1200000, "uremia"),), assets=500000, supporter=True, region="610630"),
    # B: house fire, 100,000 yuan loss, household earns 7,000 a month
    "B": facts((person("32118119740308022X", 0),
                person("321181197107120119", 400000),
                person("321181200601010331", 300000)),
               (), assets=2000000, supporter=True, region="321181", loss=10000000),
    # C: 63, alone, no income, uremia
    "C": facts((person("36010419630415048X", 0, care=CareLevel.self_care, diagnoses=("uremia",)),),
               ((3000000, 1800000, 900000, "uremia"),), assets=0, supporter=False, region="360104"),
    # D: wife with cancer, 120,000 yuan out of pocket
    "D": facts((person("610523197609200174", 300000),
                person("610523197901050281", 0, diagnoses=("malignant_tumor",)),
                person("610523200905120392", 0)),
               ((25000000, 13000000, 8000000, "malignant_tumor"),), assets=1000000, supporter=True,
               region="610523"),
}


def run_chain(household: HouseholdFacts) -> tuple[str, list[Decision]]:
    living, trail = civil_affairs.decide_living(household, POLICY)
    insurance, assistance, trail = medical_insurance.decide(household, trail, POLICY)
    temporary, trail = civil_affairs.decide_temporary(household, trail, POLICY)
    relief, trail = red_cross.decide(household, trail, POLICY)
    return trail.status.value, [living, insurance, assistance, temporary, relief]


@pytest.fixture(scope="module")
def expected() -> dict:
    return json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))


def test_hand_built_facts_agree_with_the_applications() -> None:
    applications = json.loads((REPO / "jointaid" / "examples" / "applications.json").read_text(encoding="utf-8"))
    for name, application in applications.items():
        household, bills = application["household"], application["needs"]["medical_bills"]
        built = EXAMPLES[name]
        members = household["members"]
        assert [m.age for m in built.members] == [age_on(m["id_number"]) for m in members]
        assert built.monthly_income_fen == sum(m["monthly_income_fen"] for m in members)
        assert built.covered_oop_fen == sum(b["covered_oop_fen"] for b in bills)
        assert built.oop_fen == sum(b["total_fen"] - b["basic_reimbursed_fen"] for b in bills)
        assert built.emergency_loss_fen == ((application["needs"]["emergency"] or {}).get("loss_fen") or 0)
        assert built.financial_assets_fen == household["financial_assets_fen"]
        assert built.has_supporter == household["has_supporter"]
        assert built.residence.value == application["residence"]


def test_ages_from_id_numbers() -> None:
    assert [m.age for m in EXAMPLES["A"].members] == [48, 45, 15, 12]
    assert [m.age for m in EXAMPLES["C"].members] == [63]
    assert age_on("610630197811210313") == 47 and age_on("610630197811200313") == 48   # birthday boundary


def test_every_expected_example_is_built(expected: dict) -> None:
    assert set(EXAMPLES) == set(expected)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_worked_example(name: str, expected: dict) -> None:
    want = expected[name]
    status, decisions = run_chain(EXAMPLES[name])
    assert status == want["status"]
    amounts = {d.program.value: d.amount_fen for d in decisions}
    for program, amount in want["programs"].items():
        assert amounts[program] == amount, program
    for program, amount in amounts.items():
        if program not in want["programs"]:
            assert amount == 0, program
    assert sum(amounts.values()) == want["total_fen"]
    assert [d.layer for d in decisions] == [1, 2, 3, 4, 5]
    assert all(d.reason for d in decisions)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_worked_example_keeps_the_invariant(name: str) -> None:
    household = EXAMPLES[name]
    living, trail = civil_affairs.decide_living(household, POLICY)
    _, _, trail = medical_insurance.decide(household, trail, POLICY)
    _, trail = civil_affairs.decide_temporary(household, trail, POLICY)
    _, trail = red_cross.decide(household, trail, POLICY)
    medical = (trail.critical_illness_fen + trail.medical_assistance_fen + trail.temporary_medical_part_fen
               + trail.major_illness_fen)
    assert medical <= household.oop_fen


def test_example_a_reasons_read_well() -> None:
    _, decisions = run_chain(EXAMPLES["A"])
    living, insurance, assistance, temporary, relief = decisions
    assert "standard 3,420.00 − income 2,500.00 = 920.00" in living.reason
    assert "12,000.00 − aided threshold (mla) 7,500.00 = 4,500.00 × 65% = 2,925.00" in insurance.reason
    assert "9,075.00 × 70% = 6,352.50" in assistance.reason
    assert "7,522.50 ≥ 2,000.00 → tier 1,000.00" in temporary.reason
    assert "6,522.50 < lowest tier 10,000.00" in relief.reason


def plain_chinese_problems(decision: Decision) -> list[str]:
    """What is wrong with a decision's citizen reason: missing, ASCII words, or not the granted amount."""
    zh = decision.reason_zh
    if not zh:
        return ["no reason_zh"]
    problems = [f"ASCII letters in {zh!r}"] if re.search(r"[A-Za-z]", zh) else []
    if decision.outcome == Outcome.approved and decision.amount_fen > 0:
        amount = rf"(?<![\d,.]){re.escape(format_yuan(decision.amount_fen))} 元"
        if not re.search(amount, zh):
            problems.append(f"amount {format_yuan(decision.amount_fen)} 元 not in {zh!r}")
    elif decision.outcome == Outcome.approved and "不发放" not in zh:
        problems.append(f"a grant of 0.00 must say no cash is paid: {zh!r}")
    return problems


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_worked_example_reasons_in_plain_chinese(name: str) -> None:
    _, decisions = run_chain(EXAMPLES[name])
    for decision in decisions:
        assert plain_chinese_problems(decision) == [], decision.program.value


def test_example_a_reasons_in_chinese() -> None:
    _, decisions = run_chain(EXAMPLES["A"])
    assert [d.reason_zh for d in decisions] == [
        "家庭月收入 2,500.00 元低于保障标准 3,420.00 元（4 人 × 855.00 元），按差额每月发放 920.00 元",
        "合规自付费用 12,000.00 元，超过起付线 7,500.00 元的部分按 65% 报销：2,925.00 元",
        "合规自付费用 12,000.00 元扣除大病保险 2,925.00 元后为 9,075.00 元，低保对象按 70% 救助：6,352.50 元",
        "自付医疗费用 16,800.00 元扣除大病保险 2,925.00 元、医疗救助 6,352.50 元后，困难金额为 7,522.50 元，"
        "达到 2,000.00 元救助档，救助 1,000.00 元",
        "家庭成员患有尿毒症；剩余医疗负担 7,522.50 元扣除临时救助中用于医疗的 1,000.00 元后为 6,522.50 元，"
        "未达到救助起点 10,000.00 元",
    ]


def test_example_d_low_income_status_explained_in_chinese() -> None:
    _, decisions = run_chain(EXAMPLES["D"])
    living = decisions[0].reason_zh
    assert "家庭月收入 3,000.00 元不低于保障标准 2,565.00 元（3 人 × 855.00 元），不能享受最低生活保障" in living
    assert "低于低收入标准 3,847.50 元（保障标准 2,565.00 元 × 150%），认定为低收入（边缘）家庭" in living

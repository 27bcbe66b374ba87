"""Verification's pure fact derivation, checked against the worked examples of DOMAIN.md."""
from __future__ import annotations

import copy
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from contracts.application import SHANGHAI, ApplicationIn
from contracts.events import CareLevel, HouseholdFacts, Residence
from contracts.idnumber import check_digit
from services.verification.facts import derive_facts, submission_date

_REPO = Path(__file__).resolve().parents[2]
EXAMPLES: dict[str, dict] = json.loads((_REPO / "jointaid" / "examples" / "applications.json").read_text(encoding="utf-8"))

SUBMITTED_ON = date(2026, 11, 20)  # DOMAIN.md: the worked examples are submitted on this day
CONTEXT = {"now": datetime(2026, 11, 20, 15, 0, tzinfo=SHANGHAI)}


def app_of(name: str, data: dict | None = None) -> ApplicationIn:
    return ApplicationIn.model_validate(data if data is not None else EXAMPLES[name], context=CONTEXT)


def facts_of(name: str) -> HouseholdFacts:
    return derive_facts(app_of(name), SUBMITTED_ON)


# Hand-computed from the example bodies (amounts in fen):
#  A: I = 250,000; C = 1,200,000; OOP = 4,700,000 - 3,020,000 = 1,680,000 (16,800 yuan out of pocket)
#  B: I = 0 + 400,000 + 300,000 = 700,000 (7,000 yuan a month); fire loss 10,000,000 (100,000 yuan)
#  C: I = 0; C = 900,000; OOP = 3,000,000 - 1,800,000 = 1,200,000
#  D: I = 300,000; C = 8,000,000; OOP = 25,000,000 - 13,000,000 = 12,000,000 (120,000 yuan out of pocket)
EXPECTED = {
    "A": dict(ages=(48, 45, 15, 12), income=250_000, assets=500_000, covered=1_200_000, oop=1_680_000, loss=0,
              diagnoses=("uremia",), region="610630", vehicle=False, supporter=True),
    "B": dict(ages=(52, 55, 20), income=700_000, assets=2_000_000, covered=0, oop=0, loss=10_000_000,
              diagnoses=(), region="321181", vehicle=False, supporter=True),
    "C": dict(ages=(63,), income=0, assets=0, covered=900_000, oop=1_200_000, loss=0,
              diagnoses=("uremia",), region="360104", vehicle=False, supporter=False),
    "D": dict(ages=(50, 47, 17), income=300_000, assets=1_000_000, covered=8_000_000, oop=12_000_000, loss=0,
              diagnoses=("malignant_tumor",), region="610523", vehicle=False, supporter=True),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_facts_of_the_worked_examples(name):
    facts = facts_of(name)
    want = EXPECTED[name]
    assert facts.submitted_on == SUBMITTED_ON
    assert tuple(m.age for m in facts.members) == want["ages"]
    assert facts.monthly_income_fen == want["income"]
    assert facts.financial_assets_fen == want["assets"]
    assert facts.covered_oop_fen == want["covered"]
    assert facts.oop_fen == want["oop"]
    assert facts.emergency_loss_fen == want["loss"]
    assert facts.diagnoses == want["diagnoses"]
    assert facts.region_code == want["region"]
    assert facts.residence is Residence.hukou
    assert facts.owns_vehicle is want["vehicle"]
    assert facts.has_supporter is want["supporter"]


def test_member_details_travel_without_personal_data():
    facts = facts_of("C")
    (member,) = facts.members
    assert member.care_level is CareLevel.self_care
    assert member.diagnoses == ("uremia",)
    assert member.monthly_income_fen == 0
    for name in EXAMPLES:
        dumped = json.dumps(facts_of(name).model_dump(mode="json"), ensure_ascii=False)
        source = EXAMPLES[name]
        secrets = [source["applicant_name"], source["applicant_id_number"], source["phone"], source["payout_account"]["number"]]
        secrets += [m["name"] for m in source["household"]["members"]] + [m["id_number"] for m in source["household"]["members"]]
        for secret in secrets:
            assert secret not in dumped


def test_facts_are_a_valid_event_payload():
    for name in EXAMPLES:
        facts = facts_of(name)
        assert HouseholdFacts.model_validate(facts.model_dump(mode="json")) == facts


def test_ages_are_taken_on_the_submission_date():
    app = app_of("A")
    assert [m.age for m in derive_facts(app, date(2026, 5, 1)).members] == [47, 45, 14, 11]
    assert [m.age for m in derive_facts(app, date(2026, 5, 2)).members] == [48, 45, 14, 11]


def test_several_bills_and_diagnoses_are_summed_and_merged():
    data = copy.deepcopy(EXAMPLES["D"])
    data["household"]["members"][0]["diagnoses"] = ["leukemia", "hypertension", "leukemia"]
    data["household"]["members"][1]["disability_grade"] = 2
    data["needs"]["medical_bills"].append({
        "member_id_number": data["household"]["members"][0]["id_number"],
        "total_fen": 1_000_000, "basic_reimbursed_fen": 600_000, "covered_oop_fen": 250_000, "diagnosis": "leukemia",
    })
    data["needs"]["medical_bills"].append({
        "member_id_number": data["household"]["members"][2]["id_number"],
        "total_fen": 50_000, "basic_reimbursed_fen": 50_000, "covered_oop_fen": 0,
    })
    data["needs"]["emergency"] = {"kind": "flood", "loss_fen": 123_456, "occurred_on": "2026-11-01"}
    facts = derive_facts(app_of("D", data), SUBMITTED_ON)
    assert facts.covered_oop_fen == 8_000_000 + 250_000 + 0
    assert facts.oop_fen == 12_000_000 + 400_000 + 0
    assert facts.emergency_loss_fen == 123_456
    assert facts.diagnoses == ("hypertension", "leukemia", "malignant_tumor")
    assert facts.members[0].diagnoses == ("hypertension", "leukemia")
    assert facts.members[1].disability_grade == 2


@pytest.mark.parametrize(
    ("submitted_at", "day"),
    [
        (datetime(2026, 11, 20, 9, 30, tzinfo=SHANGHAI), date(2026, 11, 20)),
        (datetime(2026, 11, 19, 16, 0, tzinfo=timezone.utc), date(2026, 11, 20)),  # 00:00 in Shanghai
        (datetime(2026, 11, 19, 15, 59, 59, tzinfo=timezone.utc), date(2026, 11, 19)),  # 23:59:59 in Shanghai
        (datetime(2026, 11, 20, 23, 0, tzinfo=timezone(timedelta(hours=-5))), date(2026, 11, 21)),
    ],
)
def test_submission_date_is_the_shanghai_day(submitted_at, day):
    assert submission_date(submitted_at) == day


def test_submission_date_needs_a_time_zone():
    with pytest.raises(ValueError):
        submission_date(datetime(2026, 11, 20, 9, 30))


@given(st.dates(min_value=date(2026, 11, 20), max_value=date(2100, 1, 1)))
def test_derivation_is_pure_and_ages_never_go_down(day):
    app = app_of("A")
    first = derive_facts(app, day)
    assert derive_facts(app, day) == first
    later = derive_facts(app, day + timedelta(days=1))
    assert all(b.age >= a.age for a, b in zip(first.members, later.members))
    assert first.monthly_income_fen == 250_000 and first.oop_fen == 1_680_000


def test_member_born_on_leap_day():
    data = copy.deepcopy(EXAMPLES["A"])
    first17 = "61063020120229065"
    data["household"]["members"][3]["id_number"] = first17 + check_digit(first17)
    facts = derive_facts(app_of("A", data), date(2028, 2, 28))
    assert facts.members[3].age == 15
    assert derive_facts(app_of("A", data), date(2028, 2, 29)).members[3].age == 16

"""A lead's prefilled application: registry rows and the lead's bills -> a valid ApplicationIn (services/intake/prefill.py)."""
from __future__ import annotations

from datetime import datetime

from contracts.application import MAX_BILLS, SHANGHAI
from contracts.idnumber import check_digit
from contracts.lead_consent import PLACEHOLDER_NAME, LeadConsentIn
from services.intake.prefill import Bill, Person, prefilled

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)


def id_number(birth: str, seq: int) -> str:
    first17 = f"610630{birth}{seq:03d}"
    return first17 + check_digit(first17)


FATHER, MOTHER, CHILD, GRANNY = (id_number("19800101", 11), id_number("19820202", 22), id_number("20100303", 33),
                                 id_number("19450404", 44))


def person(number: str, income: int, **changes) -> Person:
    fields = {"id_number": number, "hukou_region": "610630", "alive": True, "disability_grade": None,
              "monthly_income_fen": income, "financial_assets_fen": 0, "vehicles": 0}
    return Person(**{**fields, **changes})


HOUSEHOLD = [person(MOTHER, 120_000, financial_assets_fen=300_000), person(FATHER, 80_000, vehicles=1),
             person(CHILD, 0, disability_grade=2), person(GRANNY, 90_000, alive=False)]


def consent(**changes) -> LeadConsentIn:
    body = {"given": True, "channel": "outreach", "at": "2026-11-30T15:00:00+08:00", "phone": "13800000000",
            "payout_account": {"kind": "social_security_card", "number": "6222020200001111"}}
    return LeadConsentIn.model_validate({**body, **changes}, context={"now": NOW})


def test_registry_rows_and_bills_make_a_valid_application():
    bills = [Bill(CHILD, 1_200_000), Bill(CHILD, 480_000), Bill(GRANNY, 50_000)]
    app = prefilled(FATHER, HOUSEHOLD, bills, consent(applicant_name="王建国"), NOW)
    members = app.household.members
    assert [m.id_number for m in members] == [FATHER, MOTHER, CHILD]  # the applicant first; the deceased not listed
    assert [m.relation.value for m in members] == ["self", "other", "other"]
    assert [m.monthly_income_fen for m in members] == [80_000, 120_000, 0]  # the income registry's figures
    assert [m.disability_grade for m in members] == [None, None, 2]
    assert [m.name for m in members] == ["王建国", PLACEHOLDER_NAME, PLACEHOLDER_NAME]
    assert (app.applicant_id_number, app.applicant_name) == (FATHER, "王建国")
    assert (app.household.financial_assets_fen, app.household.owns_vehicle, app.household.has_supporter) == (300_000, True, False)
    assert (app.region_code, app.residence.value, app.channel.value) == ("610630", "hukou", "outreach")
    assert (app.consent.given, app.consent.channel.value) == (True, "outreach")
    # out of pocket = total - reimbursed = the signal's amount; all of it within the insurance's scope
    assert [(b.member_id_number, b.total_fen, b.basic_reimbursed_fen, b.covered_oop_fen) for b in app.needs.medical_bills] == [
        (CHILD, 1_200_000, 0, 1_200_000), (CHILD, 480_000, 0, 480_000)]  # the deceased member's bill is not listed
    assert app.phone == "13800000000" and app.payout_account.number == "6222020200001111"


def test_the_applicant_defaults_to_the_person_the_lead_names_and_may_be_another_member():
    assert prefilled(MOTHER, HOUSEHOLD, [], consent(), NOW).applicant_id_number == MOTHER
    other = prefilled(MOTHER, HOUSEHOLD, [], consent(applicant_id_number=CHILD, names=[{"id_number": MOTHER, "name": "李梅"}]), NOW)
    assert other.applicant_id_number == CHILD and other.household.members[0].relation.value == "self"
    assert {m.id_number: m.name for m in other.household.members}[MOTHER] == "李梅"
    assert prefilled(MOTHER, HOUSEHOLD, [], consent(has_supporter=True), NOW).household.has_supporter is True


def test_a_deceased_person_cannot_apply_and_names_must_be_members():
    refused = prefilled(GRANNY, HOUSEHOLD, [], consent(), NOW)  # a death signal names the deceased
    assert refused[0]["field"] == "lead_id" and "applicant_id_number" in refused[0]["message"]
    assert prefilled(GRANNY, HOUSEHOLD, [], consent(applicant_id_number=FATHER), NOW).applicant_id_number == FATHER
    named_stranger = prefilled(FATHER, HOUSEHOLD, [], consent(names=[{"id_number": GRANNY, "name": "张三"}]), NOW)
    assert named_stranger == [{"field": "names.0.id_number", "message": "not a living member of the lead's household"}]
    nobody = prefilled(FATHER, [person(FATHER, 0, alive=False)], [], consent(), NOW)
    assert nobody[0]["field"] == "lead_id"


def test_many_bills_are_merged_per_member_with_the_same_sum():
    bills = [Bill(CHILD, 1_000)] * (MAX_BILLS + 1) + [Bill(MOTHER, 7)]
    app = prefilled(FATHER, HOUSEHOLD, bills, consent(), NOW)
    assert sorted((b.member_id_number, b.total_fen, b.covered_oop_fen) for b in app.needs.medical_bills) == sorted(
        [(CHILD, 1_000 * (MAX_BILLS + 1), 1_000 * (MAX_BILLS + 1)), (MOTHER, 7, 7)])


def test_an_application_the_contract_refuses_lists_its_problems():
    crowd = [person(id_number("19900101", n), 0) for n in range(1, 23)]  # 22 members: the contract allows 20
    problems = prefilled(crowd[0].id_number, crowd, [], consent(), NOW)
    assert problems == [{"field": "application.household.members", "message": "too many household members: at most 20"}]

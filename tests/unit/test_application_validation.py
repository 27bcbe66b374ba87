"""The intake request model: every bad-input rule, and the 422 error list it becomes."""
from __future__ import annotations

import copy
import json
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from pydantic import ValidationError

from contracts import application as application_module
from contracts.application import (
    MAX_BILLS,
    MAX_MEMBERS,
    SHANGHAI,
    ApplicationIn,
    Channel,
    Relation,
)
from contracts.idnumber import CHECK_DIGIT_PROBLEM, check_digit
from contracts.refusals import field_errors, malformed_json_error

_REPO = Path(__file__).resolve().parents[2]
EXAMPLES: dict[str, dict] = json.loads((_REPO / "jointaid" / "examples" / "applications.json").read_text(encoding="utf-8"))

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=SHANGHAI)  # after every example's consent time
CONTEXT = {"now": NOW}


def make_id(region: str = "110105", born: str = "19800101", seq: str = "123") -> str:
    first17 = region + born + seq
    return first17 + check_digit(first17)


def wrong_check_digit(id_number: str) -> str:
    right = id_number[17]
    return id_number[:17] + ("0" if right != "0" else "1")


def example(name: str = "A") -> dict:
    return copy.deepcopy(EXAMPLES[name])


def validate(data: dict) -> ApplicationIn:
    return ApplicationIn.model_validate(data, context=CONTEXT)


def refusals(data: dict) -> list[dict]:
    with pytest.raises(ValidationError) as caught:
        validate(data)
    errors = field_errors(caught.value)
    assert errors, "a refusal must say why"
    return errors


def assert_refused(data: dict, field: str, message_part: str) -> list[dict]:
    errors = refusals(data)
    matching = [e for e in errors if e["field"] == field and message_part in e["message"]]
    assert matching, f"expected {field!r}: {message_part!r}, got {errors}"
    return errors


# ---- the examples ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_examples_are_valid(name):
    app = validate(example(name))
    assert app.consent.given is True
    assert app.language.value == "zh"
    assert sum(m.relation is Relation.self for m in app.household.members) == 1
    again = ApplicationIn.model_validate_json(json.dumps(EXAMPLES[name]), context=CONTEXT)
    assert again == app


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_examples_are_valid_with_the_real_clock(name):
    # the examples were submitted on 2026-11-20: nothing in them lies in the future today
    ApplicationIn.model_validate(example(name))


def test_examples_round_trip_through_json_dump():
    for name in EXAMPLES:
        app = validate(example(name))
        assert validate(app.model_dump(mode="json")) == app


def test_language_defaults_to_zh_and_accepts_en():
    data = example("B")
    data["language"] = "en"
    assert validate(data).language.value == "en"


def test_channels_of_examples_are_in_the_closed_set():
    channels = {example(n)["channel"] for n in EXAMPLES} | {example(n)["consent"]["channel"] for n in EXAMPLES}
    assert channels <= {c.value for c in Channel}


def test_lowercase_x_is_normalised_so_the_applicant_still_matches():
    data = example("B")
    data["applicant_id_number"] = data["applicant_id_number"].lower()
    app = validate(data)
    assert app.applicant_id_number == "32118119740308022X"


def test_consent_time_without_offset_is_shanghai_time():
    data = example("A")
    data["consent"]["at"] = "2026-11-20T09:30:00"
    app = validate(data)
    assert app.consent.at.utcoffset().total_seconds() == 8 * 3600


def test_names_are_trimmed():
    data = example("A")
    data["applicant_name"] = "  张建国  "
    assert validate(data).applicant_name == "张建国"


# ---- ID numbers --------------------------------------------------------------------------------

def test_applicant_id_with_wrong_check_digit():
    data = example("A")
    data["applicant_id_number"] = wrong_check_digit(data["applicant_id_number"])
    assert_refused(data, "applicant_id_number", "ID number check digit is wrong (GB 11643)")


def test_member_id_with_wrong_check_digit():
    data = example("A")
    data["household"]["members"][2]["id_number"] = wrong_check_digit(data["household"]["members"][2]["id_number"])
    assert_refused(data, "household.members.2.id_number", CHECK_DIGIT_PROBLEM)


def test_bill_id_with_wrong_check_digit():
    data = example("D")
    data["needs"]["medical_bills"][0]["member_id_number"] = wrong_check_digit(data["needs"]["medical_bills"][0]["member_id_number"])
    assert_refused(data, "needs.medical_bills.0.member_id_number", CHECK_DIGIT_PROBLEM)


@pytest.mark.parametrize("bad", ["61063019780502031", "6106301978050203133", "61063019780502031Y", "", "６１０６３０１９７８０５０２０３１３"])
def test_id_with_wrong_format(bad):
    data = example("A")
    data["household"]["members"][1]["id_number"] = bad
    assert_refused(data, "household.members.1.id_number", "ID number must be 18 characters")


def test_id_that_is_not_text():
    data = example("A")
    data["household"]["members"][1]["id_number"] = 610630198102100426
    assert_refused(data, "household.members.1.id_number", "must be text")


def test_id_with_impossible_birth_date():
    data = example("A")
    data["household"]["members"][1]["id_number"] = make_id("610630", "19810231", "042")
    assert_refused(data, "household.members.1.id_number", "impossible birth date")


def test_id_with_birth_date_in_the_future():
    data = example("A")
    data["household"]["members"].append(
        {"id_number": make_id("610630", "20261121", "051"), "name": "未出生", "relation": "child", "monthly_income_fen": 0}
    )
    assert_refused(data, "household.members.4.id_number", "birth date in the future")
    # born on the day of submission is fine
    data["household"]["members"][4]["id_number"] = make_id("610630", "20261120", "051")
    validate(data)


# ---- the applicant and the household ------------------------------------------------------------

def test_applicant_not_among_members():
    data = example("A")
    data["applicant_id_number"] = make_id("610630", "19700101", "011")
    assert_refused(data, "applicant_id_number", "applicant is not among the household members")


def test_applicant_entry_must_be_self():
    data = example("A")
    data["household"]["members"][0]["relation"] = "parent"
    assert_refused(data, "household.members.0.relation", "the applicant's own entry must have relation 'self'")


def test_only_the_applicant_is_self():
    data = example("A")
    data["household"]["members"][1]["relation"] = "self"
    assert_refused(data, "household.members.1.relation", "relation 'self' is only for the applicant")


def test_self_member_who_is_not_the_applicant_while_applicant_missing():
    data = example("C")
    data["applicant_id_number"] = make_id("360104", "19630415", "049")
    errors = assert_refused(data, "applicant_id_number", "applicant is not among the household members")
    assert {"field": "household.members.0.relation",
            "message": "relation 'self' is only for the applicant, and this member's ID number differs from the applicant's"} in errors


def test_same_id_twice():
    data = example("A")
    data["household"]["members"][3]["id_number"] = data["household"]["members"][2]["id_number"]
    assert_refused(data, "household.members.3.id_number", "the same ID number is listed twice in the household")


def test_same_id_twice_with_different_case_of_x():
    data = example("B")
    data["household"]["members"][1]["id_number"] = data["household"]["members"][0]["id_number"].lower()
    assert_refused(data, "household.members.1.id_number", "listed twice")


def test_no_members():
    data = example("A")
    data["household"]["members"] = []
    assert_refused(data, "household.members", "the household needs at least 1 member")


def test_more_than_20_members():
    data = example("A")
    for i in range(MAX_MEMBERS + 1 - len(data["household"]["members"])):
        data["household"]["members"].append(
            {"id_number": make_id("610630", "19900101", f"{100 + i:03d}"), "name": f"成员{i}", "relation": "other", "monthly_income_fen": 0}
        )
    assert len(data["household"]["members"]) == 21
    assert_refused(data, "household.members", "too many household members: at most 20")
    data["household"]["members"].pop()
    validate(data)


# ---- consent -----------------------------------------------------------------------------------

@pytest.mark.parametrize("given_value", [False, "true", 1, None])
def test_consent_must_be_given(given_value):
    data = example("B")
    data["consent"]["given"] = given_value
    errors = refusals(data)
    assert errors[0]["field"] == "consent.given"
    if given_value is False:
        assert errors == [{"field": "consent.given", "message": "consent not given: no data may be checked without it"}]


def test_consent_missing():
    data = example("B")
    del data["consent"]
    assert_refused(data, "consent", "required field is missing")


def test_consent_in_the_future():
    data = example("D")
    data["consent"]["at"] = "2026-11-20T15:00:01+08:00"
    assert_refused(data, "consent.at", "consent time is in the future")
    data["consent"]["at"] = "2026-11-20T07:00:00Z"  # 15:00 in Shanghai: not in the future
    validate(data)


def test_now_can_be_monkeypatched(monkeypatch):
    data = example("A")
    monkeypatch.setattr(application_module, "now", lambda: datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI))
    with pytest.raises(ValidationError) as caught:
        ApplicationIn.model_validate(data)  # consent at 09:30 is after "now"
    assert {"field": "consent.at", "message": "consent time is in the future"} in field_errors(caught.value)
    monkeypatch.setattr(application_module, "now", lambda: datetime(2026, 11, 20, 9, 30, tzinfo=SHANGHAI))
    ApplicationIn.model_validate(data)


def test_consent_time_must_be_a_datetime():
    data = example("A")
    data["consent"]["at"] = "yesterday"
    assert_refused(data, "consent.at", "must be a date and time like")


# ---- money -------------------------------------------------------------------------------------

MONEY_FIELDS = [
    ("household", "members", 0, "monthly_income_fen"),
    ("household", "financial_assets_fen"),
    ("needs", "medical_bills", 0, "total_fen"),
    ("needs", "medical_bills", 0, "basic_reimbursed_fen"),
    ("needs", "medical_bills", 0, "covered_oop_fen"),
]


def put(data: dict, path: tuple, value) -> None:
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


def dotted(path: tuple) -> str:
    return ".".join(str(p) for p in path)


@pytest.mark.parametrize("path", MONEY_FIELDS, ids=dotted)
def test_negative_money(path):
    data = example("A")
    put(data, path, -1)
    assert_refused(data, dotted(path), "money cannot be negative")


# Declared facts the registries can give instead (DESIGN.md "Registries"): optional, but typed when given.
REGISTRY_FIELDS = [
    ("household", "members", 0, "monthly_income_fen"),
    ("household", "financial_assets_fen"),
    ("household", "owns_vehicle"),
]


@pytest.mark.parametrize("path", MONEY_FIELDS, ids=dotted)
@pytest.mark.parametrize("value", [1.5, 100.0, "100", True, None, [1]], ids=repr)
def test_non_integer_money(path, value):
    if value is None and path in REGISTRY_FIELDS:
        return  # null = not declared: test_registry_facts_may_be_left_out
    data = example("A")
    put(data, path, value)
    assert_refused(data, dotted(path), "money must be a whole number of fen")


@pytest.mark.parametrize("path", REGISTRY_FIELDS, ids=dotted)
def test_registry_facts_may_be_left_out(path):
    data = example("A")
    target = data
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]
    left_out = validate(data)
    put(data, path, None)
    assert validate(data) == left_out


def test_non_integer_money_in_json():
    text = json.dumps(EXAMPLES["A"]).replace('"financial_assets_fen": 500000', '"financial_assets_fen": 5000.5')
    with pytest.raises(ValidationError) as caught:
        ApplicationIn.model_validate_json(text, context=CONTEXT)
    assert field_errors(caught.value)[0]["field"] == "household.financial_assets_fen"


def test_emergency_loss_money():
    data = example("B")
    data["needs"]["emergency"]["loss_fen"] = -100
    assert_refused(data, "needs.emergency.loss_fen", "money cannot be negative")
    data["needs"]["emergency"]["loss_fen"] = "10000000"
    assert_refused(data, "needs.emergency.loss_fen", "money must be a whole number of fen")


def test_money_above_the_ceiling():
    data = example("D")
    data["needs"]["medical_bills"][0]["total_fen"] = 10_000_000_001
    assert_refused(data, "needs.medical_bills.0.total_fen", "amount is above the ceiling of 100,000,000 yuan")
    data = example("D")
    data["household"]["financial_assets_fen"] = 10_000_000_000
    validate(data)  # exactly at the ceiling is allowed


def test_monthly_income_above_the_ceiling():
    data = example("B")
    data["household"]["members"][1]["monthly_income_fen"] = 10_000_001
    assert_refused(data, "household.members.1.monthly_income_fen", "monthly income is above the ceiling of 100,000 yuan")


# ---- bills and emergencies ----------------------------------------------------------------------

def test_basic_reimbursement_above_total():
    data = example("A")
    data["needs"]["medical_bills"][0]["basic_reimbursed_fen"] = 4_700_001
    assert_refused(data, "needs.medical_bills.0.basic_reimbursed_fen", "basic reimbursement exceeds the bill's total")


def test_covered_part_exceeds_out_of_pocket():
    data = example("A")
    data["needs"]["medical_bills"][0]["covered_oop_fen"] = 1_680_001  # OOP is 4,700,000 - 3,020,000
    assert_refused(data, "needs.medical_bills.0.covered_oop_fen", "covered part exceeds the out-of-pocket part")
    data["needs"]["medical_bills"][0]["covered_oop_fen"] = 1_680_000
    validate(data)


def test_bill_for_someone_outside_the_household():
    data = example("D")
    data["needs"]["medical_bills"][0]["member_id_number"] = make_id("610523", "19790105", "029")
    assert_refused(data, "needs.medical_bills.0.member_id_number", "the bill's patient is not among the household members")


def test_more_than_50_bills():
    data = example("A")
    bill = data["needs"]["medical_bills"][0]
    data["needs"]["medical_bills"] = [dict(bill) for _ in range(MAX_BILLS + 1)]
    assert_refused(data, "needs.medical_bills", "too many medical bills: at most 50")
    data["needs"]["medical_bills"].pop()
    validate(data)


def test_emergency_in_the_future():
    data = example("B")
    data["needs"]["emergency"]["occurred_on"] = "2026-11-21"
    assert_refused(data, "needs.emergency.occurred_on", "the emergency cannot have occurred in the future")
    data["needs"]["emergency"]["occurred_on"] = "2026-11-20"
    validate(data)


def test_emergency_date_must_be_a_date():
    data = example("B")
    data["needs"]["emergency"]["occurred_on"] = "last week"
    assert_refused(data, "needs.emergency.occurred_on", "must be a date like 2026-11-20")


# ---- enums, missing fields, unknown fields, strings ---------------------------------------------

@pytest.mark.parametrize(
    ("name", "path", "value"),
    [
        ("A", ("residence",), "mars"),
        ("A", ("channel",), "fax"),
        ("A", ("consent", "channel"), "pigeon"),
        ("A", ("household", "members", 1, "relation"), "cousin"),
        ("C", ("household", "members", 0, "care_level"), "bedridden"),
        ("B", ("needs", "emergency", "kind"), "meteor"),
        ("A", ("payout_account", "kind"), "cash"),
        ("A", ("language",), "fr"),
        ("A", ("residence",), "HUKOU"),
    ],
    ids=lambda v: dotted(v) if isinstance(v, tuple) else str(v),
)
def test_unknown_enum_value(name, path, value):
    data = example(name)
    put(data, path, value)
    errors = assert_refused(data, dotted(path), "unknown value: must be one of")
    assert value not in errors[0]["message"]


@pytest.mark.parametrize(
    "path",
    [
        ("applicant_id_number",), ("applicant_name",), ("phone",), ("region_code",), ("residence",), ("channel",),
        ("household",), ("needs",), ("payout_account",), ("consent", "given"), ("consent", "at"),
        ("household", "members"), ("household", "members", 1, "name"), ("household", "has_supporter"),
        ("needs", "medical_bills", 0, "covered_oop_fen"), ("payout_account", "number"),
    ],
    ids=dotted,
)
def test_missing_required_field(path):
    data = example("A")
    target = data
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]
    assert_refused(data, dotted(path), "required field is missing")


def test_optional_fields_may_be_left_out():
    data = example("B")
    del data["needs"]["emergency"]
    del data["needs"]["medical_bills"]
    app = validate(data)
    assert app.needs.emergency is None and app.needs.medical_bills == []


@pytest.mark.parametrize(
    "path",
    [("nickname",), ("household", "pets"), ("household", "members", 0, "hobby"), ("needs", "medical_bills", 0, "hospital"),
     ("consent", "witness"), ("payout_account", "bank")],
    ids=dotted,
)
def test_unknown_field(path):
    data = example("A")
    put(data, path, "x")
    assert_refused(data, dotted(path), "unknown field")


@pytest.mark.parametrize("path", [("applicant_name",), ("household", "members", 2, "name")], ids=dotted)
def test_name_too_long_or_empty(path):
    data = example("A")
    put(data, path, "名" * 51)
    assert_refused(data, dotted(path), "too long: at most 50 characters")
    put(data, path, "名" * 50)
    if path == ("applicant_name",):
        validate(data)
    put(data, path, "   ")
    assert_refused(data, dotted(path), "must not be empty")


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("phone",), "12345", "phone must be a mainland mobile number"),
        (("phone",), "1380000000a", "phone must be a mainland mobile number"),
        (("region_code",), "61063", "region code must be 6 digits"),
        (("region_code",), 610630, "must be text"),
        (("payout_account", "number"), "6217-0000", "account number must be 8 to 30 digits"),
        (("payout_account", "number"), "1" * 31, "account number must be 8 to 30 digits"),
        (("household", "members", 0, "diagnoses", 0), "Uremia", "diagnosis code must be 1 to 40 lowercase letters"),
        (("needs", "medical_bills", 0, "diagnosis"), "a" * 41, "diagnosis code must be 1 to 40 lowercase letters"),
        (("household", "members", 1, "disability_grade"), 5, "disability grade must be 1, 2, 3 or 4"),
        (("household", "members", 1, "disability_grade"), 0, "disability grade must be 1, 2, 3 or 4"),
        (("household", "members", 1, "disability_grade"), "2", "must be a whole number"),
        (("household", "owns_vehicle"), "no", "must be true or false"),
        (("household", "has_supporter"), 0, "must be true or false"),
        (("household", "members"), {"0": {}}, "must be a list"),
        (("consent",), "yes", "must be an object"),
    ],
    ids=lambda v: dotted(v) if isinstance(v, tuple) else None,
)
def test_field_formats(path, value, message):
    data = example("A")
    put(data, path, value)
    assert_refused(data, dotted(path), message)


def test_other_phone_forms_are_accepted():
    for phone in ("+8613800000001", "0571-87654321", "02112345678"):
        data = example("A")
        data["phone"] = phone
        validate(data)


def test_more_than_20_diagnoses():
    data = example("A")
    data["household"]["members"][0]["diagnoses"] = [f"code_{chr(97 + i)}" for i in range(21)]
    assert_refused(data, "household.members.0.diagnoses", "too many diagnoses: at most 20")


def test_disability_grade_accepted():
    data = example("A")
    data["household"]["members"][1]["disability_grade"] = 2
    assert validate(data).household.members[1].disability_grade == 2


# ---- the error list ------------------------------------------------------------------------------

def test_several_errors_are_reported_together():
    data = example("A")
    data["consent"]["given"] = False
    data["household"]["financial_assets_fen"] = -5
    data["residence"] = "mars"
    fields = {e["field"] for e in refusals(data)}
    assert {"consent.given", "household.financial_assets_fen", "residence"} <= fields


def test_messages_do_not_echo_personal_data():
    data = example("A")
    secret_id = wrong_check_digit(data["household"]["members"][1]["id_number"])
    data["household"]["members"][1]["id_number"] = secret_id
    data["applicant_name"] = "张" * 60
    data["phone"] = "phone-13999999999"
    data["payout_account"]["number"] = "6217-0000-1234-5678"
    data["household"]["members"][2]["relation"] = "秘密关系"
    with pytest.raises(ValidationError) as caught:
        validate(data)
    errors = field_errors(caught.value)
    text = json.dumps(errors, ensure_ascii=False)
    for secret in (secret_id, "张" * 60, "13999999999", "6217-0000-1234-5678", "秘密关系"):
        assert secret not in text
    assert all(set(e) == {"field", "message"} for e in errors)


def test_root_that_is_not_an_object():
    with pytest.raises(ValidationError) as caught:
        ApplicationIn.model_validate([1, 2, 3], context=CONTEXT)
    assert field_errors(caught.value) == [{"field": "body", "message": "the request body must be a JSON object"}]


def test_malformed_json_error():
    assert malformed_json_error("Expecting value: line 1 column 1 (char 0)") == [
        {"field": "body", "message": "malformed JSON: Expecting value: line 1 column 1 (char 0)"}
    ]
    with pytest.raises(ValidationError) as caught:
        ApplicationIn.model_validate_json('{"applicant_id_number": ', context=CONTEXT)
    errors = field_errors(caught.value)
    assert len(errors) == 1 and errors[0]["field"] == "body" and errors[0]["message"].startswith("malformed JSON: ")


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_fastapi_request_validation_errors():
    from fastapi import FastAPI
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from fastapi.testclient import TestClient

    api = FastAPI()

    @api.exception_handler(RequestValidationError)
    async def refuse(request, exc):
        return JSONResponse(status_code=422, content=field_errors(exc))

    @api.post("/v1/applications", status_code=202)
    async def submit(application: ApplicationIn):
        return {"status": "submitted", "members": len(application.household.members)}

    client = TestClient(api)
    for name in EXAMPLES:
        answer = client.post("/v1/applications", json=EXAMPLES[name])
        assert answer.status_code == 202, answer.text

    data = example("A")
    data["household"]["members"][1]["id_number"] = wrong_check_digit(data["household"]["members"][1]["id_number"])
    data["consent"]["given"] = False
    answer = client.post("/v1/applications", json=data)
    assert answer.status_code == 422
    assert answer.json() == [
        {"field": "consent.given", "message": "consent not given: no data may be checked without it"},
        {"field": "household.members.1.id_number", "message": "ID number check digit is wrong (GB 11643)"},
    ]

    data = example("A")
    data["household"]["members"][0]["relation"] = "spouse"
    answer = client.post("/v1/applications", json=data)
    assert answer.json() == [{"field": "household.members.0.relation", "message": "the applicant's own entry must have relation 'self'"}]

    answer = client.post("/v1/applications", content=b'{"applicant_id_number": ', headers={"content-type": "application/json"})
    assert answer.status_code == 422
    body = answer.json()
    assert len(body) == 1 and body[0]["field"] == "body" and body[0]["message"].startswith("malformed JSON")

    answer = client.post("/v1/applications", json=[1])
    assert answer.status_code == 422
    assert answer.json() == [{"field": "body", "message": "the request body must be a JSON object"}]


# ---- random mutations --------------------------------------------------------------------------

def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, prefix + (index,))


_ALL_PATHS = {name: [p for p in _paths(app) if p] for name, app in EXAMPLES.items()}

_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30)
    | st.sampled_from(["hukou", "self", "uremia", "610630197805020313", "2026-11-20", "2999-01-01T00:00:00+14:00",
                       "0001-01-01", "9999-12-31T23:59:59-12:00", "", "x" * 60, -1, 10**30, 2**63]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)


@st.composite
def mutated(draw):
    name = draw(st.sampled_from(sorted(EXAMPLES)))
    data = example(name)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = [p for p in _paths(data) if p]
        path = draw(st.sampled_from(paths))
        target = data
        for part in path[:-1]:
            target = target[part]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            target[path[-1]] = draw(_values)
        elif action == "delete":
            del target[path[-1]]
        elif isinstance(target, dict):
            target[draw(st.text(max_size=10))] = draw(_values)
        else:
            target.append(draw(_values))
    return data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_random_mutations_only_ever_raise_validation_error(data):
    try:
        validate(data)
    except ValidationError as exc:
        errors = field_errors(exc)
        assert errors
        for error in errors:
            assert set(error) == {"field", "message"}
            assert isinstance(error["field"], str) and isinstance(error["message"], str) and error["message"]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(EXAMPLES)), st.integers(min_value=0, max_value=10_000), st.text(max_size=3))
def test_random_json_text_edits_only_ever_raise_validation_error(name, position, insert):
    text = json.dumps(EXAMPLES[name], ensure_ascii=False)
    position %= len(text)
    edited = text[:position] + insert + text[position + 1:]
    try:
        ApplicationIn.model_validate_json(edited, context=CONTEXT)
    except ValidationError as exc:
        assert field_errors(exc)


def test_naive_now_in_the_context_is_shanghai_time():
    # a naive "now" in the context is read as Shanghai time
    data = example("B")
    ApplicationIn.model_validate(data, context={"now": datetime(2026, 11, 20, 10, 0)})
    with pytest.raises(ValidationError):
        ApplicationIn.model_validate(data, context={"now": datetime(2026, 11, 17, 23, 59)})
    assert date(2026, 11, 18) == validate(data).needs.emergency.occurred_on


@pytest.mark.parametrize("bad", ["张\x00三", "张\t三", "张\n三", "\x7f"])
def test_a_name_with_control_characters_is_refused(bad):
    body = copy.deepcopy(EXAMPLES["A"])
    body["household"]["members"][1]["name"] = bad
    with pytest.raises(ValidationError) as refused:
        ApplicationIn.model_validate(body)
    assert any(e["loc"][-1] == "name" and "control characters" in e["msg"] for e in refused.value.errors())

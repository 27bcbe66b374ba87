"""The body of POST /v1/leads/{lead_id}/consent (contracts/lead_consent.py): what each answer needs, and refuses."""
from __future__ import annotations

from datetime import datetime

import pytest
from pydantic import ValidationError

from contracts.application import SHANGHAI
from contracts.lead_consent import LeadConsentIn
from contracts.refusals import field_errors

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
GIVEN = {"given": True, "channel": "outreach", "at": "2026-11-30T15:00:00+08:00", "phone": "13800000000",
         "payout_account": {"kind": "bank_card", "number": "6222020200001111"}}
REFUSED = {"given": False, "channel": "hotline", "at": "2026-11-30T15:00:00"}


def problems(body: dict) -> list[dict]:
    with pytest.raises(ValidationError) as caught:
        LeadConsentIn.model_validate(body, context={"now": NOW})
    return field_errors(caught.value)


def test_a_given_and_a_refused_consent_are_accepted():
    given = LeadConsentIn.model_validate(GIVEN, context={"now": NOW})
    assert given.given and given.names == [] and given.has_supporter is None
    refused = LeadConsentIn.model_validate(REFUSED, context={"now": NOW})
    assert refused.at.tzinfo is not None and refused.at.utcoffset().total_seconds() == 8 * 3600  # local time: Shanghai


@pytest.mark.parametrize("missing", ["phone", "payout_account"])
def test_given_needs_a_phone_and_an_account(missing):
    body = {k: v for k, v in GIVEN.items() if k != missing}
    [problem] = problems(body)
    assert problem["field"] == missing and problem["message"].startswith("consent given: the application needs")


def test_refused_takes_nothing_more():
    found = problems({**REFUSED, "phone": "13800000000", "names": [{"id_number": "11010519491231002X", "name": "李"}]})
    assert {p["field"] for p in found} == {"phone", "names"}
    assert all(p["message"].startswith("consent refused: nothing more") for p in found)


def test_consent_in_the_future_is_refused():
    [problem] = problems({**GIVEN, "at": "2026-12-01T10:05:00+08:00"})
    assert problem == {"field": "at", "message": "consent time is in the future"}


def test_bad_fields_name_their_rule_and_never_echo_the_value():
    found = problems({**GIVEN, "channel": "fax", "phone": "12345", "names": [{"id_number": "110105194912310021", "name": ""}],
                      "extra": 1})
    fields = {p["field"] for p in found}
    assert {"channel", "phone", "names.0.id_number", "names.0.name", "extra"} <= fields
    assert all("110105194912310021" not in p["message"] and "12345" not in p["message"] for p in found)


def test_a_member_named_twice_is_refused():
    name = {"id_number": "11010519491231002X", "name": "李"}
    assert problems({**GIVEN, "names": [name, name]}) == [{"field": "names.1.id_number",
                                                           "message": "the same ID number is named twice"}]

"""needs.services on the application body: the five services, each once; a refusal names the rule."""
from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from contracts.application import SHANGHAI, ApplicationIn
from contracts.events import HouseholdFacts, ReferralService
from contracts.refusals import field_errors
from services.verification.facts import derive_facts

EXAMPLES = json.loads((Path(__file__).resolve().parents[2] / "jointaid" / "examples" / "applications.json").read_text("utf-8"))
CONTEXT = {"now": datetime(2026, 11, 20, 15, 0, tzinfo=SHANGHAI)}


def with_services(services) -> dict:
    data = copy.deepcopy(EXAMPLES["C"])
    data["needs"]["services"] = services
    return data


def refusals(data: dict) -> list[dict]:
    with pytest.raises(ValidationError) as caught:
        ApplicationIn.model_validate(data, context=CONTEXT)
    return field_errors(caught.value)


def test_every_service_may_be_asked_for_once():
    application = ApplicationIn.model_validate(with_services([s.value for s in ReferralService]), context=CONTEXT)
    assert application.needs.services == list(ReferralService)


def test_no_services_is_the_default():
    assert ApplicationIn.model_validate(EXAMPLES["C"], context=CONTEXT).needs.services == []


@pytest.mark.parametrize("bad", ["gardening", "Care", "", 3, None])
def test_an_unknown_service_is_refused_naming_the_services(bad):
    assert refusals(with_services(["care", bad])) == [{
        "field": "needs.services.1",
        "message": "unknown service: the services are care, counselling, employment, home_repair, companionship"}]


def test_a_service_asked_for_twice_is_refused_at_the_second():
    assert refusals(with_services(["care", "counselling", "care"])) == [
        {"field": "needs.services.2", "message": "the same service is asked for twice"}]


def test_services_must_be_a_list():
    assert refusals(with_services("care")) == [{"field": "needs.services", "message": "must be a list ([...])"}]


def test_verification_passes_the_services_on_in_the_facts():
    application = ApplicationIn.model_validate(with_services(["home_repair", "care"]), context=CONTEXT)
    facts = derive_facts(application, CONTEXT["now"].date())
    assert facts.services_requested == (ReferralService.home_repair, ReferralService.care)
    older = json.loads(facts.model_dump_json())
    del older["services_requested"]  # facts written before the field still parse, asking for nothing
    assert HouseholdFacts.model_validate(older).services_requested == ()

"""Which referrals an application gets (services/referrals/rules.py), the simulated provider's answers,
and the setting that makes a provider refuse."""
from __future__ import annotations

import asyncio
import uuid
from datetime import date

import pytest

from contracts.events import CareLevel, HouseholdFacts, HouseholdStatus, MemberFacts, ReferralService, ReferralStatus, Residence
from services.kit.settings import Settings
from services.referrals.provider import InProcessProvider
from services.referrals.rules import provider_for, referral_id, referrals_for

CARE, COUNSELLING, HOME_REPAIR = ReferralService.care, ReferralService.counselling, ReferralService.home_repair
EP, MLA = HouseholdStatus.extreme_poverty, HouseholdStatus.mla


def facts(*care_levels: CareLevel | None, asked: tuple[str, ...] = ()) -> HouseholdFacts:
    members = tuple(MemberFacts(age=70, monthly_income_fen=0, care_level=level) for level in care_levels or (None,))
    return HouseholdFacts(submitted_on=date(2026, 11, 20), region_code="330106", residence=Residence.hukou,
                          members=members, monthly_income_fen=0, financial_assets_fen=0, owns_vehicle=False,
                          has_supporter=False, covered_oop_fen=0, oop_fen=0, emergency_loss_fen=0,
                          services_requested=asked)


def services(found) -> list[tuple[str, bool]]:
    return [(r.service.value, r.automatic) for r in found]


def test_the_services_asked_for_are_referred_in_the_services_order():
    assert services(referrals_for(facts(asked=("home_repair", "counselling")), MLA)) == [
        ("counselling", False), ("home_repair", False)]


def test_nothing_asked_nothing_referred():
    assert referrals_for(facts(CareLevel.semi_disabled), MLA) == ()
    assert referrals_for(facts(), None) == ()


def test_a_disabled_member_of_an_extreme_poverty_household_gets_care_without_asking():
    assert services(referrals_for(facts(None, CareLevel.disabled), EP)) == [("care", True)]


def test_no_automatic_care_for_a_semi_disabled_member():
    assert referrals_for(facts(CareLevel.semi_disabled, CareLevel.self_care), EP) == ()


@pytest.mark.parametrize("status", [MLA, HouseholdStatus.low_income, HouseholdStatus.none, None])
def test_no_automatic_care_outside_extreme_poverty(status):
    assert referrals_for(facts(CareLevel.disabled), status) == ()


def test_care_asked_for_and_due_by_rule_is_one_referral():
    found = referrals_for(facts(CareLevel.disabled, CareLevel.disabled, asked=("care", "counselling")), EP)
    assert services(found) == [("care", False), ("counselling", False)]


def test_referral_id_is_the_same_for_the_same_application_and_service():
    application = uuid.uuid4()
    assert referral_id(application, CARE) == referral_id(application, CARE) == uuid.uuid5(application, "care")
    assert referral_id(application, CARE) != referral_id(application, COUNSELLING)
    assert referral_id(application, CARE) != referral_id(uuid.uuid4(), CARE)


def test_the_provider_is_an_organisation_of_the_region():
    assert provider_for(HOME_REPAIR, "330106") == "home-adaptation-team-330106"
    assert {provider_for(s, "330106") for s in ReferralService}.__len__() == len(ReferralService)


def test_the_simulated_provider_refuses_only_what_it_is_told_and_always_the_same():
    provider = InProcessProvider(frozenset({"home_repair"}))
    refused = asyncio.run(provider.answer(HOME_REPAIR, "home-adaptation-team-330106", "330106"))
    again = asyncio.run(provider.answer(HOME_REPAIR, "home-adaptation-team-330106", "330106"))
    assert refused == again and refused.status is ReferralStatus.refused
    assert "no capacity" in refused.reason and "居家改造" in refused.reason_zh
    assert asyncio.run(provider.answer(CARE, "home-care-centre-330106", "330106")).status is ReferralStatus.fulfilled


def test_provider_refusals_come_from_the_environment_and_must_name_services():
    env = {"KAFKA_BOOTSTRAP_SERVERS": "x", "DATABASE_URL": "y"}
    assert Settings.from_env(env).provider_refused_services == frozenset()
    assert Settings.from_env({**env, "JOINTAID_PROVIDER_REFUSE": "home_repair, care"}).provider_refused_services == {
        "home_repair", "care"}
    with pytest.raises(SystemExit, match="unknown services: gardening"):
        Settings.from_env({**env, "JOINTAID_PROVIDER_REFUSE": "gardening"})


def test_the_referrals_service_skips_decisions_that_refer_nothing_before_any_database_work():
    from contracts.events import Decision, DecisionMade, Department, LayerTrail, Outcome, Program, Recurring
    from services.referrals.handlers import HANDLERS

    def made(layer: int, asked=(), care=None, status=EP) -> DecisionMade:
        decision = Decision(department=Department.civil_affairs, program=Program.extreme_poverty, layer=layer,
                            outcome=Outcome.approved, amount_fen=0, recurring=Recurring.monthly, reason="r")
        return DecisionMade(decision=decision, facts=facts(care, asked=asked), trail=LayerTrail(status=status))

    handler = HANDLERS["aid.decision.made.v1"]
    assert handler.wants_headers == {"aid-layer": "1"}
    assert handler.accepts(made(1, asked=("counselling",)))
    assert handler.accepts(made(1, care=CareLevel.disabled))
    assert not handler.accepts(made(1))
    assert not handler.accepts(made(1, care=CareLevel.disabled, status=MLA))
    assert not handler.accepts(made(4, asked=("counselling",)))

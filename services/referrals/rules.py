"""Which referrals an application gets, and to whom (pure; DOMAIN.md "Material + services").

- every service the application asks for (needs.services);
- `care` without asking when layer 1 decided extreme_poverty and a member's care level is `disabled`
  (once: a household that also asked for it gets one care referral, not two).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from contracts.events import CareLevel, HouseholdFacts, HouseholdStatus, ReferralService

# The provider each service goes to, by region: a provider is an organisation, never a person.
PROVIDERS = {
    ReferralService.care: "home-care-centre",
    ReferralService.counselling: "counselling-centre",
    ReferralService.employment: "employment-service",
    ReferralService.home_repair: "home-adaptation-team",
    ReferralService.companionship: "volunteer-network",
}


@dataclass(frozen=True)
class Referral:
    service: ReferralService
    automatic: bool  # made by rule, not asked for


def needs_care_by_rule(facts: HouseholdFacts, status: HouseholdStatus | None) -> bool:
    return status == HouseholdStatus.extreme_poverty and any(m.care_level == CareLevel.disabled for m in facts.members)


def referrals_for(facts: HouseholdFacts, status: HouseholdStatus | None) -> tuple[Referral, ...]:
    """In the services' own order, each once."""
    asked = set(facts.services_requested)
    automatic = needs_care_by_rule(facts, status) and ReferralService.care not in asked
    return tuple(Referral(service, automatic=service == ReferralService.care and automatic)
                 for service in ReferralService if service in asked or (service == ReferralService.care and automatic))


def referral_id(application_id: uuid.UUID, service: ReferralService) -> uuid.UUID:
    """The same application and service always name the same referral, so a replay makes no second one."""
    return uuid.uuid5(application_id, service.value)


def provider_for(service: ReferralService, region_code: str) -> str:
    return f"{PROVIDERS[service]}-{region_code}"

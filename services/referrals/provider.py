"""The service providers, simulated in-process (as disbursement's rail is): where a referral is answered.

Deterministic, so that tests and drills choose the answer: a service named in JOINTAID_PROVIDER_REFUSE has
no capacity and is refused; every other one is fulfilled. A real provider's adapter (its API, or its own
consumer of aid.referral.made) would implement the same `answer`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from contracts.events import ReferralService, ReferralStatus

SERVICE_ZH = {
    ReferralService.care: "照料护理",
    ReferralService.counselling: "心理疏导",
    ReferralService.employment: "就业培训",
    ReferralService.home_repair: "居家改造",
    ReferralService.companionship: "关爱陪伴",
}


@dataclass(frozen=True)
class Answer:
    status: ReferralStatus
    reason: str = ""
    reason_zh: str = ""


class Provider(Protocol):
    async def answer(self, service: ReferralService, provider: str, region_code: str) -> Answer:
        """The provider's answer to one referral; asked again (a retry), it answers the same."""


class InProcessProvider:
    def __init__(self, refused_services: frozenset[str] = frozenset()):
        self.refused_services = refused_services

    async def answer(self, service: ReferralService, provider: str, region_code: str) -> Answer:
        if service.value in self.refused_services:
            return Answer(ReferralStatus.refused,
                          f"{provider} has no capacity for {service.value.replace('_', ' ')} in region {region_code} now",
                          f"服务机构暂无{SERVICE_ZH[service]}名额")
        return Answer(ReferralStatus.fulfilled)

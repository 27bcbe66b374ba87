"""Every service of the system, by the name `jointaid run` and compose use."""
from __future__ import annotations

import importlib
from functools import lru_cache

from services.kit.runner import ServiceSpec
from services.kit.settings import SERVICES, Settings

MODULES = {
    "intake": "services.intake.main",
    "verification": "services.verification.main",
    "registries": "services.registries.main",
    "civil_affairs": "services.departments.civil_affairs.main",
    "medical_insurance": "services.departments.medical_insurance.main",
    "red_cross": "services.departments.red_cross.main",
    "disbursement": "services.disbursement.main",
    "notification": "services.notification.main",
    "caseload": "services.caseload.main",
    "referrals": "services.referrals.main",
    "discovery": "services.discovery.main",
}
assert tuple(MODULES) == SERVICES


def spec_of(name: str, settings: Settings) -> ServiceSpec:
    return importlib.import_module(MODULES[name]).spec(settings)


@lru_cache(maxsize=1)
def consumers() -> dict[str, tuple[str, ...]]:
    """event_type -> the services that consume it (sorted), from each service's handlers: exactly what its consumer
    subscribes to, so it cannot drift from the code."""
    settings = Settings(kafka_bootstrap_servers="x", database_url="x")  # never connected: only read the spec
    found: dict[str, set[str]] = {}
    for service in SERVICES:
        for event_type in spec_of(service, settings).handlers:
            found.setdefault(event_type, set()).add(service)
    return {event_type: tuple(sorted(found[event_type])) for event_type in sorted(found)}


def dlq_producers() -> tuple[str, ...]:
    """Any service with a consumer may dead-letter what it cannot handle to aid.dlq."""
    return tuple(sorted({service for services in consumers().values() for service in services}))

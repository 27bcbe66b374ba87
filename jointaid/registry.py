"""Every service of the system, by the name `jointaid run` and compose use."""
from __future__ import annotations

import importlib

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

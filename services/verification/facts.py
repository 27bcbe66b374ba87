"""Pure derivation of the household facts departments decide on (no I/O).

The facts carry no personal data: no names, ID numbers, phones or accounts.
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from contracts import idnumber
from contracts.application import ApplicationIn
from contracts.events import HouseholdFacts, MemberFacts, RegistryPerson
from services.verification.reconcile import reconcile

SHANGHAI = ZoneInfo("Asia/Shanghai")


def submission_date(submitted_at: datetime) -> date:
    """The calendar day in Asia/Shanghai of the submission (a naive time is refused)."""
    if submitted_at.tzinfo is None:
        raise ValueError("submitted_at must carry a time zone")
    return submitted_at.astimezone(SHANGHAI).date()


def derive_facts(app: ApplicationIn, submitted_on: date, people: dict[str, RegistryPerson] | None = None) -> HouseholdFacts:
    """Ages on `submitted_on`, I, C, OOP, emergency loss and diagnoses of one application, on the registries'
    figures where they know a member (reconcile.py) and the declaration elsewhere. Raises reconcile.Refused."""
    found = reconcile(app, people or {})
    bills = app.needs.medical_bills
    members = tuple(
        MemberFacts(
            age=idnumber.age_on(m.member.id_number, submitted_on),
            monthly_income_fen=m.monthly_income_fen,
            disability_grade=m.disability_grade,
            care_level=m.member.care_level,
            diagnoses=tuple(sorted(set(m.member.diagnoses))),
            declared_only=m.declared_only,
        )
        for m in found.members
    )
    diagnoses = {d for m in app.household.members for d in m.diagnoses}
    diagnoses.update(b.diagnosis for b in bills if b.diagnosis)
    emergency = app.needs.emergency
    return HouseholdFacts(
        submitted_on=submitted_on,
        region_code=app.region_code,
        residence=found.residence,
        members=members,
        monthly_income_fen=sum(m.monthly_income_fen for m in found.members),
        financial_assets_fen=found.financial_assets_fen,
        owns_vehicle=found.owns_vehicle,
        has_supporter=app.household.has_supporter,
        covered_oop_fen=sum(b.covered_oop_fen for b in bills),
        oop_fen=sum(b.total_fen - b.basic_reimbursed_fen for b in bills),
        emergency_loss_fen=emergency.loss_fen if emergency is not None else 0,
        diagnoses=tuple(sorted(diagnoses)),
        registry_notes=tuple(found.notes),
        registry_notes_zh=tuple(found.notes_zh),
        registry_checks=tuple(found.checks),
        services_requested=tuple(app.needs.services),  # the referrals service refers them after layer 1
    )

"""A lead's application, prefilled from the registries and the lead's bills (pure: rows in, body out).

What comes from where (DOMAIN.md: "only with consent recorded does a lead become an application, prefilled from
the registries"):
- members: the household's living persons in `registries.persons` (same household_id), the applicant first as
  `self`, the others `other` (the registries hold no family ties); names from the consent body, else 待核实;
- each member's monthly income and disability grade: the registries'; the household's financial assets: the sum
  of its members'; owns_vehicle: any member with a vehicle; region_code: the applicant's hukou region, so
  residence is `hukou` (verification checks it against the same registry anyway);
- medical_bills: one per medical_spending signal of the lead (discovery.lead_bills). A signal's amount is the
  bill's out-of-pocket spending as the medical-insurance settlement reports it, after the basic insurance paid its
  part; so total = amount with basic_reimbursed = 0 keeps out-of-pocket (total − reimbursed) exact, and
  covered_oop = amount takes it all as within the insurance's scope (settlement data only records spending inside
  the scheme; the full invoice, with any self-paid part outside it, is not in the signal). The rules only add the
  bills up, so past the contract's 50 bills they are merged per member, which changes no figure;
- channel `outreach`, the consent as the household gave it, has_supporter false unless the caseworker says.
The result is checked with the contract's own model (contracts.application.ApplicationIn) before anything is stored.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from contracts.application import MAX_BILLS, ApplicationIn
from contracts.lead_consent import PLACEHOLDER_NAME, LeadConsentIn
from contracts.refusals import field_errors


@dataclass(frozen=True)
class Person:
    """A row of registries.persons."""
    id_number: str
    hukou_region: str
    alive: bool
    disability_grade: int | None
    monthly_income_fen: int
    financial_assets_fen: int
    vehicles: int


@dataclass(frozen=True)
class Bill:
    """A row of discovery.lead_bills."""
    member_id_number: str
    amount_fen: int


def applicant_of(person_id_number: str, consent: LeadConsentIn) -> str:
    return consent.applicant_id_number or person_id_number


def problems_before(person_id_number: str, persons: list[Person], consent: LeadConsentIn) -> list[dict]:
    """What the registries' household makes impossible, in the caseworker's words (before building anything)."""
    living = {p.id_number for p in persons if p.alive}
    if not living:
        return [{"field": "lead_id", "message": "the registries no longer show a living member of this household"}]
    problems = []
    if applicant_of(person_id_number, consent) not in living:
        field = "applicant_id_number" if consent.applicant_id_number else "lead_id"
        problems.append({"field": field, "message": "the applicant must be a living member of the lead's household in "
                         "the registries (the person the lead names is not: name another member as applicant_id_number)"})
    problems += [{"field": f"names.{index}.id_number", "message": "not a living member of the lead's household"}
                 for index, member in enumerate(consent.names) if member.id_number not in living]
    return problems


def bills_of(bills: list[Bill], members: set[str]) -> list[dict]:
    """The lead's bills as MedicalBill bodies (see the module doc), only of members listed."""
    kept = [b for b in bills if b.member_id_number in members]
    if len(kept) > MAX_BILLS:
        merged: dict[str, int] = {}
        for b in kept:
            merged[b.member_id_number] = merged.get(b.member_id_number, 0) + b.amount_fen
        kept = [Bill(member, amount) for member, amount in merged.items()]
    return [{"member_id_number": b.member_id_number, "total_fen": b.amount_fen, "basic_reimbursed_fen": 0,
             "covered_oop_fen": b.amount_fen} for b in kept]


def application_body(person_id_number: str, persons: list[Person], bills: list[Bill], consent: LeadConsentIn) -> dict:
    """The application body (call problems_before first: the applicant is among the living persons)."""
    applicant_id = applicant_of(person_id_number, consent)
    living = sorted((p for p in persons if p.alive), key=lambda p: (p.id_number != applicant_id, p.id_number))
    names = {m.id_number: m.name for m in consent.names}
    if consent.applicant_name:
        names[applicant_id] = consent.applicant_name
    members = [{"id_number": p.id_number, "name": names.get(p.id_number, PLACEHOLDER_NAME),
                "relation": "self" if p.id_number == applicant_id else "other",
                "monthly_income_fen": p.monthly_income_fen, "disability_grade": p.disability_grade} for p in living]
    return {
        "applicant_id_number": applicant_id,
        "applicant_name": names.get(applicant_id, PLACEHOLDER_NAME),
        "phone": consent.phone,
        "region_code": living[0].hukou_region,
        "residence": "hukou",
        "channel": "outreach",
        "consent": {"given": True, "at": consent.at.isoformat(), "channel": consent.channel.value},
        "household": {"members": members, "financial_assets_fen": sum(p.financial_assets_fen for p in living),
                      "owns_vehicle": any(p.vehicles > 0 for p in living),
                      "has_supporter": bool(consent.has_supporter)},
        "needs": {"medical_bills": bills_of(bills, {p.id_number for p in living})},
        "payout_account": consent.payout_account and consent.payout_account.model_dump(mode="json"),
    }


def prefilled(person_id_number: str, persons: list[Person], bills: list[Bill], consent: LeadConsentIn,
              now: datetime | None = None) -> ApplicationIn | list[dict]:
    """The valid application, or the problems ([{"field", "message"}]; the application's own under `application.`)."""
    problems = problems_before(person_id_number, persons, consent)
    if problems:
        return problems
    body = application_body(person_id_number, persons, bills, consent)
    try:
        return ApplicationIn.model_validate(body, context={"now": now})
    except ValidationError as exc:
        return [{"field": f"application.{e['field']}", "message": e["message"]} for e in field_errors(exc)]

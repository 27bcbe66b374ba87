"""A household's answer to a lead, recorded in one transaction (DOMAIN.md "Policy finds the person": consent first).

Given: the application prefilled from the registries and the lead's bills (services/intake/prefill.py) is
registered with store.submit by the caseworker, the consent row (lead_consents, one per lead) holds its id, and
aid.lead.consented (key lead_id) tells discovery to close the lead. Refused: the consent row and the event only;
nothing is looked up in the registries. Any refusal raises `Refused` before anything is written, and the
transaction rolls everything back (a second consent racing this one meets the row's primary key).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from contracts.envelope import new_envelope
from contracts.events import LeadConsented
from contracts.lead_consent import LeadConsentIn
from contracts.topics import LEAD_CONSENTED
from services.intake import leads, prefill, store
from services.intake.tokens import Principal
from services.kit import outbox

_PERSONS = ("SELECT id_number, hukou_region, alive, disability_grade, monthly_income_fen, financial_assets_fen, vehicles"
            " FROM registries.persons WHERE household_id = $1")
_BILLS = "SELECT member_id_number, amount_fen FROM discovery.lead_bills WHERE lead_id = $1 ORDER BY observed_on, member_id_number"
_RECORD = ("INSERT INTO lead_consents(lead_id, given, channel, at, recorded_by, recorded_role, application_id)"
           " VALUES ($1, $2, $3, $4, $5, $6, $7)")


class Refused(Exception):
    """A consent that cannot be recorded: the status and the rule ([{"field", "message"}])."""

    def __init__(self, status: int, problems: list[dict]) -> None:
        super().__init__(status)
        self.status, self.problems = status, problems


@dataclass(frozen=True)
class Recorded:
    lead_id: uuid.UUID
    application_id: uuid.UUID | None
    submitted_at: datetime | None


def unknown() -> Refused:
    return Refused(404, [{"field": "lead_id", "message": "no lead with this id: consent is recorded on a lead "
                                                         "discovery raised (GET /v1/leads)"}])


def already(prior_given: bool | None) -> Refused:
    said = {True: "given", False: "refused", None: "closed"}[prior_given]
    return Refused(409, [{"field": "lead_id", "message": f"this lead is closed (consent {said} already): a lead takes "
                                                         "one answer, and a closed lead none"}])


async def record(conn: asyncpg.Connection, lead_id: uuid.UUID, consent: LeadConsentIn, by: Principal,
                 trace_id: str | None, now: datetime | None = None) -> Recorded:
    """Record the answer (call inside a transaction); raises Refused (404, 409, 422) before writing anything."""
    lead = await leads.lead_row(conn, lead_id)
    if lead is None:
        raise unknown()
    prior = await conn.fetchval("SELECT given FROM lead_consents WHERE lead_id = $1", lead_id)
    if prior is not None:
        raise already(prior)
    if lead["status"] == "closed":
        raise already(None)
    application_id = submitted_at = None
    if consent.given:
        application_id, submitted_at = await register(conn, lead, consent, by, trace_id, now)
    try:
        async with conn.transaction():  # a savepoint: a racing consent's row turns into the 409
            await conn.execute(_RECORD, lead_id, consent.given, consent.channel.value, consent.at, by.subject, by.role,
                               application_id)
    except asyncpg.UniqueViolationError:
        raise already(await conn.fetchval("SELECT given FROM lead_consents WHERE lead_id = $1", lead_id)) from None
    data = LeadConsented(lead_id=lead_id, given=consent.given, channel=consent.channel.value, at=consent.at,
                         by=by.subject, application_id=application_id)
    await outbox.enqueue(conn, LEAD_CONSENTED, new_envelope("aid.lead.consented.v1", lead_id, "intake", data))
    return Recorded(lead_id, application_id, submitted_at)


async def register(conn: asyncpg.Connection, lead, consent: LeadConsentIn, by: Principal, trace_id: str | None,
                   now: datetime | None) -> tuple[uuid.UUID, datetime]:
    """The prefilled application, registered by the caseworker; Refused(422) listing the problems when it is not valid."""
    persons = [prefill.Person(**dict(r)) for r in await conn.fetch(_PERSONS, lead["household_id"])]
    bills = [prefill.Bill(**dict(r)) for r in await conn.fetch(_BILLS, lead["lead_id"])]
    application = prefill.prefilled(lead["person_id_number"], persons, bills, consent, now)
    if isinstance(application, list):
        raise Refused(422, application)
    application_id, _, submitted_at = await store.submit(conn, application, trace_id, None, by)
    return application_id, submitted_at

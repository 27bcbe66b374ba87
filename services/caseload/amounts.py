"""Pure caseload arithmetic: who a household is, which months, how much a month (integer fen)."""
from __future__ import annotations

import uuid
from datetime import date

from contracts.events import HouseholdFacts, HouseholdStatus, RecipientStatus
from contracts.idnumber import normalise
from services.departments.civil_affairs.rules import living_amount
from services.kit.policy import Policy

RECIPIENT_NAMESPACE = uuid.UUID("6c1b1d52-4d0b-4d5e-9a57-2f4cbb0d9a10")
REVIEW_AFTER_MONTHS = 12
CASELOAD_PROGRAMS = frozenset({"extreme_poverty", "mla", "low_income"})  # a household of these is a recipient


def recipient_id_of(applicant_id_number: str) -> uuid.UUID:
    """One household, one id, whether it came by application or by import (idempotent per applicant)."""
    return uuid.uuid5(RECIPIENT_NAMESPACE, normalise(applicant_id_number))


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the 29th-31st fall back to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def next_period(day: date) -> str:
    """The period after `day`'s month: the first one a run pays (the application paid its own month)."""
    return period_of(add_months(day.replace(day=1), 1))


def review_due_on(enrolled_on: date) -> date:
    return add_months(enrolled_on, REVIEW_AFTER_MONTHS)


def monthly_amount_fen(status: RecipientStatus | str, facts: HouseholdFacts, policy: Policy) -> int:
    """The month's cash under `policy`: extreme_poverty n × basic support + care subsidies; mla S × n − I;
    low_income and exited none. The civil-affairs rules compute it, as for an application."""
    status = RecipientStatus(status)
    if status in (RecipientStatus.extreme_poverty, RecipientStatus.mla):
        return max(0, living_amount(HouseholdStatus(status.value), facts, policy)[0])
    return 0


def terms_for_period(period: str, status: str, facts_json: str, exited_from: str | None, prior_status: str | None,
                     prior_facts_json: str | None, changed_from: str | None) -> tuple[str, str] | None:
    """(status, facts JSON) a recipient is paid by in `period`, or None when exited by then. A review's
    change takes effect from `changed_from`; before it, the prior status and facts hold."""
    if exited_from is not None and period >= exited_from:
        return None
    if changed_from is not None and period < changed_from and prior_status is not None:
        return prior_status, prior_facts_json or facts_json
    return None if status == "exited" else (status, facts_json)

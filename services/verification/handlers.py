"""Verification: check the facts once, pass on only what departments need."""
from __future__ import annotations

import hashlib
import json

from pydantic import ValidationError

from contracts.application import ApplicationIn
from contracts.events import (ApplicationRejected, ApplicationSubmitted, ApplicationVerified, PayoutAccount,
                             RegistryAnswered, RegistryQuery)
from services.kit import tracing
from services.kit.consumer import Tx
from services.verification.facts import derive_facts, submission_date
from services.verification.reconcile import Refused

PRODUCER = "verification"


def applicant_key(id_number: str) -> str:
    return hashlib.sha256(id_number.upper().encode()).hexdigest()


async def on_submitted(tx: Tx, event, submitted: ApplicationSubmitted) -> None:
    """Check the application's form and the one-in-progress rule, then ask the registries about every member."""
    try:
        application = ApplicationIn.model_validate(submitted.submission)
    except ValidationError:
        await _reject(tx, submitted, "invalid_submission", "the application does not pass intake's rules")
        return
    holder = await tx.conn.fetchval(
        "INSERT INTO active_applicants(applicant_key, application_id) VALUES ($1, $2)"
        " ON CONFLICT (applicant_key) DO UPDATE SET applicant_key = EXCLUDED.applicant_key"
        " RETURNING application_id",
        applicant_key(application.applicant_id_number),
        event.application_id,
    )
    if holder != event.application_id:
        await _reject(tx, submitted, "application_in_progress",
                      "another application by the same applicant is still in progress; wait for its answer")
        return
    await tx.conn.execute(
        "INSERT INTO awaiting_registries(application_id, submitted, trace_headers) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        event.application_id, submitted.model_dump_json(), json.dumps(tracing.capture()))
    await tx.emit("aid.registry.query.v1", RegistryQuery(id_numbers=tuple(m.id_number for m in application.household.members)))


async def on_registry_answered(tx: Tx, event, answered: RegistryAnswered) -> None:
    """The registries answered: decide the facts (the registry wins) and pass them on, once."""
    row = await tx.conn.fetchrow("DELETE FROM awaiting_registries WHERE application_id = $1 RETURNING submitted", event.application_id)
    if row is None:
        return  # answered already, or not an application of ours (a lead's query)
    submitted = ApplicationSubmitted.model_validate_json(row["submitted"])
    application = ApplicationIn.model_validate(submitted.submission)
    try:
        facts = derive_facts(application, submission_date(submitted.submitted_at), {p.id_number: p for p in answered.people})
    except Refused as refused:
        await _reject(tx, submitted, refused.rule, refused.reason)
        return
    account = PayoutAccount(kind=application.payout_account.kind, number=application.payout_account.number)
    await tx.conn.execute("INSERT INTO verifications(application_id, outcome) VALUES ($1, 'verified')", event.application_id)
    await tx.emit("aid.application.verified.v1", ApplicationVerified(facts=facts, payout_account=account, language=submitted.language,
                                                                     advance_fen=submitted.advance_fen))


async def _reject(tx: Tx, submitted: ApplicationSubmitted, rule: str, reason: str) -> None:
    await tx.conn.execute(
        "INSERT INTO verifications(application_id, outcome, rule) VALUES ($1, 'rejected', $2)", tx.application_id, rule
    )
    await tx.emit("aid.application.rejected.v1", ApplicationRejected(rule=rule, reason=reason, language=submitted.language))


async def on_notified(tx: Tx, event, _sent) -> None:
    """The applicant's answer is out: a new application may start."""
    await tx.conn.execute("DELETE FROM active_applicants WHERE application_id = $1", event.application_id)


HANDLERS = {
    "aid.application.submitted.v1": on_submitted,
    "aid.registry.answered.v1": on_registry_answered,
    "aid.notification.sent.v1": on_notified,
}

"""Verification: check the facts once, pass on only what departments need.

Each handler has a set-based form (`handler.many`, a batch's run of one event type): every event is
decided as it would be alone, under its own span, and the run's rows are written in one statement each.
"""
from __future__ import annotations

import hashlib
import json

from pydantic import ValidationError

from contracts.application import ApplicationIn
from contracts.events import (ApplicationRejected, ApplicationSubmitted, ApplicationVerified, PayoutAccount,
                             RegistryAnswered, RegistryQuery)
from services.kit.consumer import Item, Tx
from services.verification.facts import derive_facts, submission_date
from services.verification.reconcile import Refused

PRODUCER = "verification"


def applicant_key(id_number: str) -> str:
    return hashlib.sha256(id_number.upper().encode()).hexdigest()


async def on_submitted(tx: Tx, event, submitted: ApplicationSubmitted) -> None:
    """Check the application's form and the one-in-progress rule, then ask the registries about every member."""
    await on_submitted_many(tx.conn, [Item(tx, event, submitted)])


async def on_submitted_many(conn, items: list[Item]) -> None:
    checked = []
    for item in items:
        try:
            application = ApplicationIn.model_validate(item.data.submission)
        except ValidationError:
            with item.tx.active():
                await _reject(item.tx, item.data, "invalid_submission", "the application does not pass intake's rules")
            continue
        checked.append((item, application, applicant_key(application.applicant_id_number)))
    holders = await _claim_applicants(conn, [(key, item.event.application_id) for item, _, key in checked])
    waiting = []
    for item, application, key in checked:
        with item.tx.active():
            if holders[key] != item.event.application_id:
                await _reject(item.tx, item.data, "application_in_progress",
                              "another application by the same applicant is still in progress; wait for its answer")
                continue
            waiting.append((item.event.application_id, item.data.model_dump_json(), json.dumps(item.tx.trace_headers())))
            await item.tx.emit("aid.registry.query.v1",
                               RegistryQuery(id_numbers=tuple(m.id_number for m in application.household.members)))
    if waiting:
        await conn.execute(
            "INSERT INTO awaiting_registries(application_id, submitted, trace_headers)"
            " SELECT * FROM unnest($1::uuid[], $2::jsonb[], $3::text[]) ON CONFLICT DO NOTHING",
            *(list(column) for column in zip(*waiting)))


async def _claim_applicants(conn, claims: list[tuple[str, object]]) -> dict[str, object]:
    """applicant key -> the application that holds it: each key is claimed by the first of the run that asks
    (as one by one), unless an application in progress holds it already."""
    first: dict[str, object] = {}
    for key, application_id in claims:
        first.setdefault(key, application_id)
    if not first:
        return {}
    rows = await conn.fetch(
        "INSERT INTO active_applicants(applicant_key, application_id) SELECT * FROM unnest($1::text[], $2::uuid[])"
        " ON CONFLICT (applicant_key) DO UPDATE SET applicant_key = EXCLUDED.applicant_key"
        " RETURNING applicant_key, application_id",
        list(first), list(first.values()))
    return {row["applicant_key"]: row["application_id"] for row in rows}


async def on_registry_answered(tx: Tx, event, answered: RegistryAnswered) -> None:
    """The registries answered: decide the facts (the registry wins) and pass them on, once."""
    await on_registry_answered_many(tx.conn, [Item(tx, event, answered)])


async def on_registry_answered_many(conn, items: list[Item]) -> None:
    rows = await conn.fetch("DELETE FROM awaiting_registries WHERE application_id = ANY($1::uuid[]) RETURNING application_id, submitted",
                            list({item.event.application_id for item in items}))
    awaited = {row["application_id"]: row["submitted"] for row in rows}
    verified = []
    for item in items:
        submitted = awaited.pop(item.event.application_id, None)
        if submitted is None:
            continue  # answered already, or not an application of ours (a lead's query)
        with item.tx.active():
            if await _verify(item.tx, ApplicationSubmitted.model_validate_json(submitted), item.data):
                verified.append(item.event.application_id)
    if verified:
        await conn.execute("INSERT INTO verifications(application_id, outcome) SELECT unnest($1::uuid[]), 'verified'", verified)


async def _verify(tx: Tx, submitted: ApplicationSubmitted, answered: RegistryAnswered) -> bool:
    """Emit the verified facts (True), or store and emit the rejection (False)."""
    application = ApplicationIn.model_validate(submitted.submission)
    try:
        facts = derive_facts(application, submission_date(submitted.submitted_at), {p.id_number: p for p in answered.people})
    except Refused as refused:
        await _reject(tx, submitted, refused.rule, refused.reason)
        return False
    account = PayoutAccount(kind=application.payout_account.kind, number=application.payout_account.number)
    await tx.emit("aid.application.verified.v1", ApplicationVerified(facts=facts, payout_account=account, language=submitted.language,
                                                                     advance_fen=submitted.advance_fen))
    return True


async def _reject(tx: Tx, submitted: ApplicationSubmitted, rule: str, reason: str) -> None:
    await tx.conn.execute(
        "INSERT INTO verifications(application_id, outcome, rule) VALUES ($1, 'rejected', $2)", tx.application_id, rule
    )
    await tx.emit("aid.application.rejected.v1", ApplicationRejected(rule=rule, reason=reason, language=submitted.language))


async def on_notified(tx: Tx, event, sent) -> None:
    """The applicant's answer is out: a new application may start."""
    await on_notified_many(tx.conn, [Item(tx, event, sent)])


async def on_notified_many(conn, items: list[Item]) -> None:
    await conn.execute("DELETE FROM active_applicants WHERE application_id = ANY($1::uuid[])",
                       [item.event.application_id for item in items])


on_submitted.many, on_registry_answered.many, on_notified.many = on_submitted_many, on_registry_answered_many, on_notified_many


HANDLERS = {
    "aid.application.submitted.v1": on_submitted,
    "aid.registry.answered.v1": on_registry_answered,
    "aid.notification.sent.v1": on_notified,
}

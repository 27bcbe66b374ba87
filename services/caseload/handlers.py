"""Caseload: an application approved for a caseload program makes its household a recipient.

The three parts of a case file (the submission with ID numbers and account, the verified facts,
the living decision) come on three topics in any order; the household is enrolled when the last
one is in. A household that is not enrolled keeps no personal data here.
"""
from __future__ import annotations

import json

from contracts.events import (ApplicationSubmitted, ApplicationVerified, DecisionMade, HouseholdFacts, Outcome,
                              RecipientChange, RecipientChanged, RecipientStatus)
from services.caseload import amounts, store
from services.caseload import runs
from services.caseload import reviews
from services.departments.decisions import made_by_layer
from services.kit.consumer import Item, Tx


def submission_part(submitted: ApplicationSubmitted) -> dict:
    return {"submission": submitted.submission}


def verified_part(verified: ApplicationVerified) -> dict:
    return {"facts": verified.facts.model_dump(mode="json"), "payout_kind": verified.payout_account.kind,
            "payout_number": verified.payout_account.number, "language": verified.language.value}


def decision_part(made: DecisionMade) -> dict:
    return {"decision": made.decision.model_dump(mode="json")}


async def on_submitted(tx: Tx, event, submitted: ApplicationSubmitted) -> None:
    await enrol_if_ready(tx, await store.case_file_part(tx.conn, tx.application_id, **submission_part(submitted)))


async def on_verified(tx: Tx, event, verified: ApplicationVerified) -> None:
    await enrol_if_ready(tx, await store.case_file_part(tx.conn, tx.application_id, **verified_part(verified)))


@made_by_layer(1)
async def on_living_decided(tx: Tx, event, made: DecisionMade) -> None:
    await enrol_if_ready(tx, await store.case_file_part(tx.conn, tx.application_id, **decision_part(made)))


def parts_together(handler, part_of):
    """Give `handler` its set-based form: a run's parts stored in one statement, then each file looked at as alone,
    under its event's span. A run naming one application twice goes one by one (one statement updates a row once)."""
    accepts = getattr(handler, "accepts", lambda data: True)

    async def many(conn, items: list[Item]) -> None:
        items = [item for item in items if accepts(item.data)]
        if not items:
            return
        if len({item.event.application_id for item in items}) < len(items):
            for item in items:
                with item.tx.active():
                    await handler(item.tx, item.event, item.data)
            return
        files = await store.case_file_parts(conn, {item.event.application_id: part_of(item.data) for item in items})
        for item in items:
            with item.tx.active():
                await enrol_if_ready(item.tx, files[item.event.application_id])
    handler.many = many
    return handler


def enrols(decision: dict) -> bool:
    return decision["outcome"] == Outcome.approved.value and decision["program"] in amounts.CASELOAD_PROGRAMS


async def enrol_if_ready(tx: Tx, row) -> None:
    if row["enrolled_at"] is not None:
        if row["submission"] is not None or row["payout_number"] is not None:  # a late copy of a part
            await store.close_case_file(tx.conn, tx.application_id, enrolled=True)
        return
    decision = json.loads(row["decision"]) if row["decision"] else None
    if decision is not None and not enrols(decision):
        await store.close_case_file(tx.conn, tx.application_id, enrolled=False)  # nothing to keep
        return
    if decision is None or row["submission"] is None or row["facts"] is None:
        return  # a part is still on its way
    submission, facts = json.loads(row["submission"]), HouseholdFacts.model_validate_json(row["facts"])
    status = RecipientStatus(decision["program"])
    recipient_id = amounts.recipient_id_of(submission["applicant_id_number"])
    enrolled_on = facts.submitted_on
    changed = RecipientChanged(
        recipient_id=recipient_id, change=RecipientChange.enrolled, status=status,
        monthly_amount_fen=decision["amount_fen"] if decision["recurring"] == "monthly" else 0,
        members=len(facts.members), region_code=facts.region_code, enrolled_on=enrolled_on,
        next_review_on=amounts.review_due_on(enrolled_on), effective_period=amounts.next_period(enrolled_on),
        reason=decision["reason"], reason_zh=decision.get("reason_zh") or "", application_id=tx.application_id,
        language=row["language"],
    )
    members = [{"id_number": m["id_number"], "name": m["name"], "relation": m["relation"]}
               for m in submission["household"]["members"]]
    await store.enrol(
        tx.conn, recipient_id=recipient_id, applicant_id_number=submission["applicant_id_number"], status=status.value,
        amount_fen=changed.monthly_amount_fen, members=members, facts_json=row["facts"], region_code=facts.region_code,
        payout_kind=row["payout_kind"], payout_number=row["payout_number"], language=row["language"],
        enrolled_on=enrolled_on, next_review_on=changed.next_review_on, first_period=changed.effective_period,
        source="application", application_id=tx.application_id, change=changed.change.value, reason=changed.reason,
        reason_zh=changed.reason_zh,
    )
    await tx.emit("aid.recipient.changed.v1", changed, key=recipient_id)


HANDLERS = {
    "aid.application.submitted.v1": parts_together(on_submitted, submission_part),
    "aid.application.verified.v1": parts_together(on_verified, verified_part),
    "aid.decision.made.v1": parts_together(on_living_decided, decision_part),
    **runs.HANDLERS,
    **reviews.HANDLERS,
}

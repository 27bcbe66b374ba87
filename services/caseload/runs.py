"""Payment runs: a run makes one entitlement per household it pays, and counts them as they are paid.

- A run is requested once per (kind, period) (intake) and taken up here once (the run row's key).
- Entitlements are made in one set-based statement whose unique key (recipient, period, kind) makes a
  second payment impossible, whatever is asked again; an `aid.entitlement.made` goes out for each row
  inserted, never for one that existed. Disbursement pays each under its entitlement_id.
- `aid.payment.issued` (kind monthly/price_subsidy) marks its entitlement paid, a final
  `aid.payment.failed` failed; the run is done when paid + failed = households.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from contracts.events import (EntitlementMade, HouseholdFacts, PaymentFailed, PaymentIssued, PaymentKind, PaymentRunRequested,
                              PayoutAccount, RunKind)
from services.caseload import amounts, runs_store
from services.kit.consumer import Tx
from services.kit.policy import Policy, policy_for_period

ENTITLEMENT_NAMESPACE = uuid.UUID("0d7f3c8e-52a1-4b9e-8f36-7c1e2a9b4d50")
MONTHLY_PROGRAMS = frozenset({"extreme_poverty", "mla"})
RUN_KINDS = frozenset({PaymentKind.monthly, PaymentKind.price_subsidy})


def entitlement_id_of(recipient_id: uuid.UUID, period: str, kind: RunKind | str) -> uuid.UUID:
    """The one entitlement of a household for a period and kind (its unique key, as an id)."""
    return uuid.uuid5(ENTITLEMENT_NAMESPACE, f"{recipient_id}:{period}:{RunKind(kind).value}")


@dataclass(frozen=True)
class Owed:
    recipient_id: uuid.UUID
    program: str
    amount_fen: int
    members: int


def owed(kind: RunKind, period: str, recipient, policy: Policy, per_person_fen: int) -> Owed | None:
    """What one recipient row is owed by a run for `period` (None: nothing). Pure."""
    terms = amounts.terms_for_period(period, recipient["status"], recipient["facts"], recipient["exited_from"],
                                     recipient["prior_status"], recipient["prior_facts"], recipient["changed_from"])
    if terms is None:
        return None
    status, facts_json = terms
    if kind is RunKind.monthly:
        if status not in MONTHLY_PROGRAMS:
            return None
        facts = HouseholdFacts.model_validate_json(facts_json)
        amount, members = amounts.monthly_amount_fen(status, facts, policy), len(facts.members)
    else:
        if status not in {program.value for program in policy.price_subsidy.programs}:
            return None
        members = len(json.loads(facts_json)["members"])
        amount = members * per_person_fen
    return Owed(recipient["recipient_id"], status, amount, members) if amount > 0 else None


def per_person_fen_of(run: PaymentRunRequested, policy: Policy) -> int | None:
    return policy.price_subsidy_per_person_fen(run.cpi_yoy_bp or 0) if run.kind is RunKind.price_subsidy else None


async def on_run_requested(tx: Tx, event, run: PaymentRunRequested) -> None:
    """Take the run up once: every recipient of the period's first day owed something gets its entitlement."""
    policy = policy_for_period(run.period)
    per_person = per_person_fen_of(run, policy)
    if not await runs_store.start_run(tx.conn, run, policy.version, per_person):
        return  # taken up already
    recipients = {row["recipient_id"]: row for row in await runs_store.recipients_of_period(tx.conn, run.period)}
    due = [o for row in recipients.values() if (o := owed(run.kind, run.period, row, policy, per_person)) is not None]
    made = await runs_store.insert_entitlements(
        tx.conn, run.run_id, run.period, run.kind.value,
        [(entitlement_id_of(o.recipient_id, run.period, run.kind), o) for o in due])
    await runs_store.set_households(tx.conn, run.run_id, len(made))
    for entitlement_id, o in made:  # the consumer writes the run's outbox rows in one INSERT
        row = recipients[o.recipient_id]
        await tx.emit("aid.entitlement.made.v1", EntitlementMade(
            entitlement_id=entitlement_id, run_id=run.run_id, recipient_id=o.recipient_id, kind=run.kind, period=run.period,
            program=o.program, amount_fen=o.amount_fen, members=o.members, language=row["language"],
            payout_account=PayoutAccount(kind=row["payout_kind"], number=row["payout_number"])), key=o.recipient_id)


async def on_paid(tx: Tx, event, issued: PaymentIssued) -> None:
    await runs_store.settle_entitlement(tx.conn, issued.recipient_id, issued.period, issued.kind.value, issued.payment_id,
                                        issued.total_fen)


on_paid.accepts = lambda issued: issued.kind in RUN_KINDS and issued.recipient_id is not None and issued.period is not None


async def on_failed(tx: Tx, event, failed: PaymentFailed) -> None:
    await runs_store.fail_entitlement(tx.conn, failed.payment_id)


on_failed.accepts = lambda failed: failed.final

HANDLERS = {
    "aid.payment_run.requested.v1": on_run_requested,
    "aid.payment.issued.v1": on_paid,
    "aid.payment.failed.v1": on_failed,
}

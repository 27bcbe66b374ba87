"""Disbursement: wait for every expected answer, then one payment, in the same transaction."""
from __future__ import annotations

from contracts.events import ApplicationVerified, DecisionMade, Language, PaymentIssued
from services.disbursement import settlement, store
from services.kit.consumer import Tx


def handlers(deadline_seconds: float):
    async def on_verified(tx: Tx, event, verified: ApplicationVerified) -> None:
        account = verified.payout_account
        await store.open_application(tx.conn, event.application_id, verified.expected_layers, account.kind,
                                     account.number, verified.language.value, deadline_seconds)
        await settle_if_complete(tx)

    async def on_decision(tx: Tx, event, made: DecisionMade) -> None:
        if await store.record_decision(tx.conn, event.application_id, event.event_id, made.decision):
            await settle_if_complete(tx)

    return {"aid.application.verified.v1": on_verified, "aid.decision.made.v1": on_decision}


async def settle_if_complete(tx: Tx) -> None:
    application = await store.lock_unsettled(tx.conn, tx.application_id)
    if application is None:
        return  # not verified yet (answers can overtake it), or already settled
    decisions = await store.decisions_of(tx.conn, tx.application_id)
    if settlement.missing_layers(application["expected_layers"], [d.layer for d in decisions]):
        return
    lines = settlement.payment_lines(decisions)
    payment_id = await store.settle(tx.conn, tx.application_id, lines)
    await tx.emit("aid.payment.issued.v1", PaymentIssued(
        payment_id=payment_id,
        total_fen=sum(line.amount_fen for line in lines),
        lines=tuple(lines),
        decisions=tuple(decisions),
        account_kind=application["account_kind"],
        account_last4=settlement.last4(application["account_number"]),
        language=Language(application["language"]),
    ))

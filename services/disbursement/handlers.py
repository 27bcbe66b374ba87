"""Disbursement: wait for every expected answer, then one payment, in the same transaction."""
from __future__ import annotations

from opentelemetry import trace

from contracts.events import ApplicationVerified, DecisionMade, Language, PaymentIssued
from services.disbursement import advance_flow, advances, appeals, approvals, settlement, store
from services.kit import tracing
from services.kit.consumer import Item, Tx

tracer = trace.get_tracer("jointaid.disbursement")


def handlers(deadline_seconds: float):
    async def on_verified(tx: Tx, event, verified: ApplicationVerified) -> None:
        await on_verified_many(tx.conn, [Item(tx, event, verified)])

    async def on_verified_many(conn, items: list[Item]) -> None:
        """A run of verified applications opened in one statement, their open rows locked in one; each complete one
        (its answers overtook it) settled under its own event's span."""
        await store.open_applications(conn, [opened(item.event.application_id, item.data) for item in items], deadline_seconds)
        await settle_many(conn, {item.event.application_id: item for item in items})

    async def on_decision(tx: Tx, event, made: DecisionMade) -> None:
        if made.appeal_id is not None:  # an appeal round's answer: kept apart, may pay a supplement
            await appeals.on_appeal_decision(tx, event, made)
            return
        if await store.record_decision(tx.conn, event.application_id, event.event_id, made.decision, tx.trace_headers()):
            await settle_if_complete(tx)

    async def on_decisions(conn, items: list[Item]) -> None:
        """A batch's decisions in two statements (store them, lock their open applications); then each
        application whose last answer came in is settled, under the span of the decision that completed it."""
        for item in items:
            if item.data.appeal_id is not None:
                await on_decision(item.tx, item.event, item.data)
        first = [item for item in items if item.data.appeal_id is None]
        stored = await store.record_decisions(conn, [(i.event.application_id, i.event.event_id, i.data.decision,
                                                      i.tx.trace_headers()) for i in first])
        await settle_many(conn, {i.event.application_id: i for i, kept in zip(first, stored) if kept})  # the last stored

    on_decision.many, on_verified.many = on_decisions, on_verified_many
    return {"aid.application.verified.v1": on_verified, "aid.decision.made.v1": on_decision}


async def settle_many(conn, completing: dict) -> None:
    """Lock the open applications of a run's events (application_id -> the event's Item) in one statement, read the
    decisions of those with every answer in at once, and settle each under its event's span."""
    locked = await store.lock_unsettled_many(conn, list(completing))
    decided = await store.decisions_with_traces_of(conn, [a["application_id"] for a in locked
                                                           if not settlement.missing_layers(a["expected_layers"], a["answered"])])
    for application in locked:
        item = completing[application["application_id"]]
        with item.tx.active():
            await settle_locked(item.tx, application, decided.get(application["application_id"]))


def opened(application_id, verified: ApplicationVerified) -> tuple:
    """The row an application opens with (store.open_applications)."""
    declared_only = tuple(i for i, member in enumerate(verified.facts.members, start=1) if member.declared_only)
    return (application_id, verified.expected_layers, verified.payout_account.kind, verified.payout_account.number,
            verified.language.value, declared_only, verified.advance_fen)


async def settle_if_complete(tx: Tx) -> None:
    """When the last expected answer is in: the one payment (or, for a zero total, straight to the message)."""
    application = await store.lock_unsettled(tx.conn, tx.application_id)
    if application is not None:  # None: not verified yet (answers can overtake it), or already settled
        await settle_locked(tx, application)


async def settle_locked(tx: Tx, application, decided: tuple | None = None) -> None:
    """decided: the application's (decisions, their trace contexts) when the caller read them already."""
    if settlement.missing_layers(application["expected_layers"], application["answered"]):
        return
    advance = await advance_flow.advance_to_take_off(tx.conn, application)
    if advance is None:
        return  # the advance is not settled yet: its settlement calls this again
    decisions, traces = decided or await store.decisions_with_traces(tx.conn, tx.application_id)
    split = advances.split(settlement.payment_lines(decisions), advance)  # final = total − min(advance, temporary)
    lines = list(split.lines)
    await advance_flow.record_split(tx.conn, tx.application_id, split)
    if not lines:
        await store.mark_settled(tx.conn, tx.application_id)  # with a payment, create_payment marks it
        application = await store.application(tx.conn, tx.application_id)  # with what the advance paid
        await tx.emit("aid.payment.issued.v1", payment_issued(application, None, lines, decisions))
        return
    threshold = approvals.threshold_fen()
    held = approvals.needs_approval(split.total_fen, threshold)
    links = [link for h in traces if (link := tracing.link_to(h))]
    with tracer.start_as_current_span("disbursement.payment", links=links) as span:
        span.set_attribute("application_id", str(tx.application_id))
        payment_id = await store.create_payment(tx.conn, tx.application_id, lines, tracing.capture(),
                                                "awaiting_approval" if held else "pending")
    if held:
        await approvals.hold(tx, payment_id, lines, threshold)
    # the rail worker (woken after this commit) settles it, then announces aid.payment.issued


def payment_issued(application, payment_id, lines, decisions) -> PaymentIssued:
    return PaymentIssued(
        payment_id=payment_id,
        total_fen=sum(line.amount_fen for line in lines),
        lines=tuple(lines),
        decisions=tuple(decisions),
        account_kind=application["account_kind"],
        account_last4=settlement.last4(application["account_number"]),
        language=Language(application["language"]),
        declared_only_members=tuple(application["declared_only"]),
        advance_fen=application["advance_deducted_fen"],
        waived_fen=application["waived_fen"],
    )

"""The rail worker: settle pending payments; retry failures with backoff; escalate after the last.

A payment is announced (aid.payment.issued) only once the rail settled it. The rail is called
with payment_id as its idempotency key, so a crash after it paid and before our commit cannot
pay twice: the retry gets the same settlement back.
"""
from __future__ import annotations

import json
import logging

from contracts.events import CaseEscalated, PaymentFailed
from services.disbursement import advance_flow, appeals, entitlements, store
from services.disbursement.handlers import payment_issued, settle_if_complete
from services.disbursement.rail import PaymentRail, RailError
from services.kit import outbox, tracing
from services.kit.consumer import Tx
from services.kit.worker import BackgroundWorker

log = logging.getLogger(__name__)


class Settler(BackgroundWorker):
    def __init__(self, rail: PaymentRail, attempts: int, backoff_seconds: float):
        self.rail = rail
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds
        super().__init__("rail worker")

    async def round(self, ctx) -> bool:
        return await self.settle_due(ctx) > 0

    async def settle_due(self, ctx, limit: int = 20) -> int:
        """One round, in one transaction: the rail called for each due payment; those it paid marked settled, with
        their ledger postings, in one statement (before any announcement: an advance's final payment reads its
        status); what the announcements need read for the round at once, their outbox rows written in one statement
        and handed to the relay."""
        emitted: list[tuple] = []
        async with ctx.pool.acquire() as conn, conn.transaction():
            due = await store.due_payments(conn, limit)
            announcing = await store.announcements_of(conn, [p for p in due if _is_applications_own(p)])
            outcomes = await self.pay_all(conn, due)
            await store.payments_settled(conn, [(p["payment_id"], reference, p["total_fen"])
                                                for p, reference in zip(due, outcomes) if isinstance(reference, str)])
            for payment, outcome in zip(due, outcomes):
                with tracing.resumed(json.loads(payment["trace_headers"])):
                    # keyed as its announcement is: the application, or a run's household
                    key = payment["application_id"] or payment["recipient_id"]
                    tx = Tx(conn, "disbursement", key, emitted)
                    if isinstance(outcome, RailError):
                        await self.failed(tx, payment, str(outcome))
                    else:
                        await self.settled(tx, payment, announcing.get(payment["payment_id"]))
            ids = await outbox.insert_for_relay(conn, emitted)
        if emitted:
            ctx.relay.hand(ids, emitted)
        return len(due)

    async def pay_all(self, conn, due) -> list[str | RailError]:
        """Each due payment's reference or refusal: in one call when the rail takes a round at once (`BatchRail`:
        one statement instead of a savepoint, an insert and a release per payment), else one by one."""
        settle_many = getattr(self.rail, "settle_many", None)
        if settle_many is None:
            return [await self.pay(conn, payment) for payment in due]
        return await settle_many(conn, [(p["payment_id"], p["account_number"], p["total_fen"]) for p in due])

    async def pay(self, conn, payment) -> str | RailError:
        """The rail's reference, or its refusal."""
        try:
            async with conn.transaction():  # a savepoint: a failed call leaves nothing behind
                return await self.rail.settle(conn, payment["payment_id"], payment["account_number"], payment["total_fen"])
        except RailError as exc:
            return exc

    async def settled(self, tx: Tx, payment, announcing: tuple | None = None) -> None:
        """A payment the rail paid (already marked settled): its announcement.
        announcing: an application's own payment's (application, decisions, lines), read for the round."""
        if payment["application_id"] is None:  # a payment run's entitlement
            await tx.emit("aid.payment.issued.v1", await entitlements.issued(tx.conn, payment))
            return
        if payment["kind"] == "advance":  # its receipt; the final payment may have been waiting for it
            await tx.emit("aid.payment.issued.v1", await entitlements.issued(tx.conn, payment))
            await self.final_after_advance(tx)
            return
        if payment["kind"] == "supplement":  # an appeal's difference: its own announcement
            await tx.emit("aid.payment.issued.v1", await appeals.issued(tx.conn, payment))
            return
        application, decisions, lines = announcing  # read before the payment was settled: settling changes none of them
        await tx.emit("aid.payment.issued.v1", payment_issued(application, payment["payment_id"], lines, decisions))

    async def failed(self, tx: Tx, payment, error: str) -> None:
        attempt = payment["attempts"] + 1
        final = attempt >= self.attempts
        await store.payment_attempt_failed(tx.conn, payment["payment_id"], final, self.backoff_seconds * 2 ** (attempt - 1))
        log.warning("rail: payment %s attempt %d failed%s", payment["payment_id"], attempt, " (last)" if final else "")
        await tx.emit("aid.payment.failed.v1", PaymentFailed(payment_id=payment["payment_id"], attempt=attempt,
                                                             error=error, final=final))
        if final:
            if payment["application_id"] is not None:
                await store.mark_escalated(tx.conn, tx.application_id)
            await tx.emit("aid.case.escalated.v1", CaseEscalated(
                reason=f"payment failed {attempt} times at the rail: {error}; needs a caseworker"))
            if payment["kind"] == "advance":  # never paid: the final payment takes nothing off
                await self.final_after_advance(tx)

    async def final_after_advance(self, tx: Tx) -> None:
        await advance_flow.lock_application(tx.conn, tx.application_id)
        await settle_if_complete(tx)


def _is_applications_own(payment) -> bool:
    """An application's own payment (not a run's, an advance or an appeal's supplement): announced with its decisions."""
    return payment["application_id"] is not None and payment["kind"] not in ("advance", "supplement")

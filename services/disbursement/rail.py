"""The payment rail: where money actually leaves. Settlement is idempotent by payment_id."""
from __future__ import annotations

import logging
import uuid
from typing import Protocol

import asyncpg

log = logging.getLogger(__name__)


class RailError(Exception):
    """The rail refused or failed this settlement; it may succeed on a later attempt."""


class PaymentRail(Protocol):
    async def settle(self, conn: asyncpg.Connection, payment_id: uuid.UUID, account_number: str, amount_fen: int) -> str:
        """Pay; return the rail's reference. The same payment_id twice pays once (idempotency key)."""


class BatchRail(PaymentRail, Protocol):
    """A rail that takes a round's payments at once (the settler uses it when the rail has it)."""

    async def settle_many(self, conn: asyncpg.Connection, payments: list[tuple[uuid.UUID, str, int]]) -> list[str | RailError]:
        """(payment_id, account_number, amount_fen) each: its reference or its refusal, in order. Idempotent as `settle`;
        a refusal writes nothing."""


class InProcessRail:
    """Settles into its own table, one row per payment_id. Can be told to fail given accounts (tests, drills)."""

    def __init__(self, failing_accounts: frozenset[str] = frozenset()):
        self.failing_accounts = failing_accounts

    async def settle(self, conn, payment_id, account_number, amount_fen) -> str:
        (outcome,) = await self.settle_many(conn, [(payment_id, account_number, amount_fen)])
        if isinstance(outcome, RailError):
            raise outcome
        return outcome

    async def settle_many(self, conn, payments: list[tuple[uuid.UUID, str, int]]) -> list[str | RailError]:
        """One statement for a round's payments (a payment settled before gets its first reference back)."""
        paid = [(payment_id, amount) for payment_id, account, amount in payments if account not in self.failing_accounts]
        rows = await conn.fetch(
            "INSERT INTO rail_settlements(payment_id, reference, amount_fen)"
            " SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[])"
            " ON CONFLICT (payment_id) DO UPDATE SET payment_id = EXCLUDED.payment_id RETURNING payment_id, reference",
            [payment_id for payment_id, _ in paid], [f"RAIL-{payment_id.hex[:12].upper()}" for payment_id, _ in paid],
            [amount for _, amount in paid],
        ) if paid else []
        references = {row["payment_id"]: row["reference"] for row in rows}
        for payment_id, amount in paid:
            log.info("rail: payment %s settled (%d fen)", payment_id, amount)
        return [references.get(payment_id) or RailError("the bank refused the account") for payment_id, _, _ in payments]

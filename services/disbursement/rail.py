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


class InProcessRail:
    """Settles into its own table, one row per payment_id. Can be told to fail given accounts (tests, drills)."""

    def __init__(self, failing_accounts: frozenset[str] = frozenset()):
        self.failing_accounts = failing_accounts

    async def settle(self, conn, payment_id, account_number, amount_fen) -> str:
        if account_number in self.failing_accounts:
            raise RailError("the bank refused the account")
        reference = await conn.fetchval(
            "INSERT INTO rail_settlements(payment_id, reference, amount_fen) VALUES ($1, $2, $3)"
            " ON CONFLICT (payment_id) DO UPDATE SET payment_id = EXCLUDED.payment_id RETURNING reference",
            payment_id, f"RAIL-{payment_id.hex[:12].upper()}", amount_fen,
        )
        log.info("rail: payment %s settled (%d fen)", payment_id, amount_fen)
        return reference

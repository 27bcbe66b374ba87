"""Caseload's run tables: the run row, its entitlements (set-based), and counting them paid or failed."""
from __future__ import annotations

import uuid

import asyncpg

from contracts.events import PaymentRunRequested


async def start_run(conn, run: PaymentRunRequested, policy_version: str, per_person_fen: int | None) -> bool:
    """The run's row, once; False when this run was taken up before."""
    return bool(await conn.fetchval(
        "INSERT INTO payment_runs(run_id, kind, period, policy_version, cpi_yoy_bp, food_cpi_yoy_bp, per_person_fen,"
        " requested_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING true",
        run.run_id, run.kind.value, run.period, policy_version, run.cpi_yoy_bp, run.food_cpi_yoy_bp, per_person_fen,
        run.requested_by,
    ))


async def recipients_of_period(conn, period: str) -> list[asyncpg.Record]:
    """Every household enrolled for a period up to `period`; who is still paid then is amounts.terms_for_period's call."""
    return await conn.fetch(
        "SELECT recipient_id, status, facts, exited_from, prior_status, prior_facts, changed_from, payout_kind, payout_number,"
        " language FROM recipients WHERE first_period <= $1 AND (exited_from IS NULL OR exited_from > $1)", period,
    )


async def insert_entitlements(conn, run_id: uuid.UUID, period: str, kind: str, owed: list[tuple]) -> list[tuple]:
    """[(entitlement_id, Owed)] in one statement; the ones inserted (a household paid for this period and kind
    already keeps its entitlement and gets no second)."""
    if not owed:
        return []
    inserted = await conn.fetch(
        "INSERT INTO entitlements(entitlement_id, run_id, recipient_id, period, kind, program, amount_fen, members)"
        " SELECT e, $2, r, $3, $4, p, a, m FROM unnest($1::uuid[], $5::uuid[], $6::text[], $7::bigint[], $8::int[])"
        " AS t(e, r, p, a, m) ON CONFLICT DO NOTHING RETURNING entitlement_id",
        [e for e, _ in owed], run_id, period, kind, [o.recipient_id for _, o in owed], [o.program for _, o in owed],
        [o.amount_fen for _, o in owed], [o.members for _, o in owed],
    )
    fresh = {row["entitlement_id"] for row in inserted}
    return [(e, o) for e, o in owed if e in fresh]


async def set_households(conn, run_id: uuid.UUID, households: int) -> None:
    """A run with nothing to pay is done at once."""
    await conn.execute(
        "UPDATE payment_runs SET households = $2, finished_at = CASE WHEN $2 = 0 THEN now() END WHERE run_id = $1",
        run_id, households,
    )


async def settle_entitlement(conn, recipient_id, period: str, kind: str, payment_id, paid_fen: int) -> None:
    """Paid, once: a later copy of the announcement finds the entitlement paid and counts nothing."""
    run_id = await conn.fetchval(
        "UPDATE entitlements SET paid_at = now(), payment_id = $4 WHERE recipient_id = $1 AND period = $2 AND kind = $3"
        " AND paid_at IS NULL AND failed_at IS NULL RETURNING run_id", recipient_id, period, kind, payment_id,
    )
    if run_id is not None:
        await count(conn, run_id, paid=1, total_fen=paid_fen)


async def fail_entitlement(conn, payment_id) -> None:
    """The rail's last attempt failed (an entitlement is paid under its own id); nothing for an application's payment."""
    run_id = await conn.fetchval(
        "UPDATE entitlements SET failed_at = now(), payment_id = $1 WHERE entitlement_id = $1"
        " AND paid_at IS NULL AND failed_at IS NULL RETURNING run_id", payment_id,
    )
    if run_id is not None:
        await count(conn, run_id, failed=1)


async def count(conn, run_id, paid: int = 0, failed: int = 0, total_fen: int = 0) -> None:
    await conn.execute(
        "UPDATE payment_runs SET paid = paid + $2, failed = failed + $3, total_fen = total_fen + $4,"
        " finished_at = CASE WHEN finished_at IS NULL AND paid + $2 + failed + $3 >= households THEN now() ELSE finished_at END"
        " WHERE run_id = $1", run_id, paid, failed, total_fen,
    )

"""The Red Cross fund row: reserve a grant under a lock, never below zero."""
from __future__ import annotations

import asyncpg


async def lock_balance(conn: asyncpg.Connection, year: int, budget_fen: int) -> int:
    """The year's balance, with the row locked until the transaction ends (opened on first use)."""
    await conn.execute(
        "INSERT INTO fund(year, budget_fen, balance_fen) VALUES ($1, $2, $2) ON CONFLICT (year) DO NOTHING", year, budget_fen
    )
    return await conn.fetchval("SELECT balance_fen FROM fund WHERE year = $1 FOR UPDATE", year)


async def reserve(conn: asyncpg.Connection, year: int, application_id, amount_fen: int) -> None:
    await conn.execute("UPDATE fund SET balance_fen = balance_fen - $2 WHERE year = $1", year, amount_fen)
    await conn.execute("INSERT INTO grants(application_id, year, amount_fen) VALUES ($1, $2, $3)", application_id, year, amount_fen)


async def granted(conn: asyncpg.Connection, application_id) -> int:
    """What the fund granted the application so far: its first grant and every appeal's increase."""
    return await conn.fetchval(
        "SELECT (SELECT coalesce(sum(amount_fen), 0) FROM grants WHERE application_id = $1)"
        " + (SELECT coalesce(sum(amount_fen), 0) FROM appeal_grants WHERE application_id = $1)", application_id)


async def reserve_increase(conn: asyncpg.Connection, year: int, application_id, appeal_id, amount_fen: int) -> None:
    await conn.execute("UPDATE fund SET balance_fen = balance_fen - $2 WHERE year = $1", year, amount_fen)
    await conn.execute("INSERT INTO appeal_grants(appeal_id, application_id, year, amount_fen) VALUES ($1, $2, $3, $4)",
                       appeal_id, application_id, year, amount_fen)

"""The kit's pools skip asyncpg's per-release reset round trip, yet never hand out a connection mid-transaction."""
from __future__ import annotations

from services.kit.db import create_pool


async def test_release_sends_no_reset_statements(settings):
    pool = await create_pool(settings.database_url, "public", min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await conn.execute("SET application_name = 'kept-across-release'")  # RESET ALL would undo it
        async with pool.acquire() as conn:
            assert await conn.fetchval("SHOW application_name") == "kept-across-release"
    finally:
        await pool.close()


async def test_a_transaction_left_open_is_rolled_back_on_release(settings):
    pool = await create_pool(settings.database_url, "public", min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await conn.execute("CREATE TABLE IF NOT EXISTS release_probe (n int)")
            await conn.execute("BEGIN")
            await conn.execute("INSERT INTO release_probe VALUES (1)")
        async with pool.acquire() as conn:
            assert not conn.is_in_transaction()
            assert await conn.fetchval("SELECT count(*) FROM release_probe") == 0
            await conn.execute("DROP TABLE release_probe")
    finally:
        await pool.close()

"""Connection pools and schema migrations: one PostgreSQL schema per service."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import asyncpg

log = logging.getLogger(__name__)
KIT_MIGRATIONS = Path(__file__).parent / "migrations"
# Errors that mean "the database is away", not "this event is bad": retry, never dead-letter.
CONNECTION_ERRORS = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncio.TimeoutError,
)


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Pool release without asyncpg's reset (advisory unlock, CLOSE ALL, UNLISTEN, RESET ALL: one round
    trip on every release). Nothing here holds session state: locks are transaction-scoped, no LISTEN,
    no SET outside a transaction, cursors live inside transactions. A transaction left open is still
    rolled back, so no connection goes back to the pool mid-transaction."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


async def create_pool(database_url: str, schema: str, *, min_size: int = 1, max_size: int = 4) -> asyncpg.Pool:
    """A pool whose connections see the service's own schema first."""
    return await asyncpg.create_pool(
        database_url,
        min_size=min_size,
        max_size=max_size,
        server_settings={"search_path": schema, "application_name": f"jointaid-{schema}"},
        reset=_keep_session,
    )


async def connect_with_retry(database_url: str, schema: str, *, attempts: int = 30, **kw) -> asyncpg.Pool:
    delay = 0.2
    for attempt in range(1, attempts + 1):
        try:
            return await create_pool(database_url, schema, **kw)
        except CONNECTION_ERRORS as exc:
            if attempt == attempts:
                raise
            log.warning("database not reachable (%s); retrying in %.1fs", type(exc).__name__, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
    raise AssertionError("unreachable")


def _migration_files(dirs: tuple[Path, ...]) -> list[tuple[str, Path]]:
    """Each directory's migrations, in file-name order; named by the folder that holds them."""
    files = []
    for folder in dirs:
        files += [(f"{folder.parent.name}/{p.name}", p) for p in sorted(folder.glob("*.sql"))]
    return files


async def migrate(database_url: str, schema: str, dirs: tuple[Path, ...] = (), *, with_kit: bool = True) -> list[str]:
    """Apply the kit's (outbox, inbox) and the given migrations to `schema`, once each, under a lock."""
    if with_kit:
        dirs = (KIT_MIGRATIONS, *dirs)
    conn = await asyncpg.connect(database_url)
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"migrate:{schema}")
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            await conn.execute(f'SET LOCAL search_path TO "{schema}"')
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
            applied = []
            for name, path in _migration_files(dirs):
                if name in done:
                    continue
                await conn.execute(path.read_text())
                await conn.execute("INSERT INTO schema_migrations(name) VALUES ($1)", name)
                applied.append(name)
            return applied
    finally:
        await conn.close()

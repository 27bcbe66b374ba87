"""A submission is one statement (application, idempotency key, events), atomic without a transaction around it;
an urgent one adds its advance rows in a transaction of its own."""
from __future__ import annotations

import asyncio

import pytest

from contracts.application import ApplicationIn
from services.intake import store
from services.intake.tokens import Principal
from tests.e2e.urgent_flows import body
from tests.integration.conftest import direct

SERIAL = 7_310_000


def application(serial: int, urgent: str | None = None) -> ApplicationIn:
    return ApplicationIn.model_validate(body("A", SERIAL + serial, urgent))


class Statements:
    """The statements a connection sends (asyncpg's query logger)."""

    def __init__(self, conn):
        self.sent: list[str] = []
        self._conn = conn
        conn.add_query_logger(self._log)

    @classmethod
    async def after_warming(cls, conn, warm) -> "Statements":
        """Counting from here: `warm` first runs what asyncpg introspects once per connection (array types)."""
        await warm
        return cls(conn)

    def _log(self, record) -> None:
        self.sent.append(record.query)

    async def stop(self) -> None:
        await asyncio.sleep(0.05)  # asyncpg calls its query loggers soon after, not within, the statement
        self._conn.remove_query_logger(self._log)


async def rows_of(conn, application_id) -> dict:
    return {
        "applications": await conn.fetchval("SELECT count(*) FROM applications WHERE application_id = $1", application_id),
        "topics": [r["topic"] for r in await conn.fetch(
            "SELECT topic FROM outbox JOIN outbox_pending USING (id) WHERE application_id = $1 ORDER BY id", application_id)],
    }


async def test_a_submission_with_a_key_is_one_statement(settings):
    async with direct("intake", settings) as ctx, ctx.pool.acquire() as conn:
        counted = await Statements.after_warming(conn, store.submit(conn, application(11), None, "key-warm"))
        handed: list = []
        application_id, created, submitted_at = await store.submit(conn, application(1), None, "key-one-statement",
                                                                   handed=handed)
        await counted.stop()
        assert created and submitted_at is not None
        assert len(counted.sent) == 1, counted.sent  # no BEGIN, no COMMIT, no second insert
        assert await rows_of(conn, application_id) == {"applications": 1, "topics": ["aid.application.submitted"]}
        ((ids, rows),) = handed
        assert len(ids) == len(rows) == 1
        assert await conn.fetchval("SELECT event_id FROM outbox WHERE id = $1", ids[0]) == rows[0][0]


async def test_the_same_key_answers_the_first_application_and_writes_nothing(settings):
    async with direct("intake", settings) as ctx, ctx.pool.acquire() as conn:
        first_id, _, first_at = await store.submit(conn, application(2), None, "key-twice")
        again_id, created, again_at = await store.submit(conn, application(2), None, "key-twice")
        assert (again_id, created, again_at) == (first_id, False, first_at)
        assert await conn.fetchval("SELECT count(*) FROM outbox WHERE application_id = $1", first_id) == 1
        with pytest.raises(store.IdempotencyConflict):
            await store.submit(conn, application(3), None, "key-twice")  # another body under the same key
        assert await conn.fetchval("SELECT count(*) FROM applications WHERE submission->>'applicant_id_number' = $1",
                                   application(3).applicant_id_number) == 0


async def test_without_a_key_it_is_one_statement_too(settings):
    async with direct("intake", settings) as ctx, ctx.pool.acquire() as conn:
        counted = await Statements.after_warming(conn, store.submit(conn, application(14), None, None))
        application_id, created, _ = await store.submit(conn, application(4), "0af7651916cd43dd8448eb211c80319c", None)
        await counted.stop()
        assert created and len(counted.sent) == 1
        assert await conn.fetchval("SELECT trace_id FROM applications WHERE application_id = $1",
                                   application_id) == "0af7651916cd43dd8448eb211c80319c"


async def test_an_urgent_submission_writes_its_advance_in_one_transaction(settings):
    caseworker = Principal(subject="cw-submit-test", role="caseworker")
    async with direct("intake", settings) as ctx, ctx.pool.acquire() as conn:
        counted = await Statements.after_warming(conn, store.submit(conn, application(15), None, None))
        application_id, created, _ = await store.submit(conn, application(5, urgent="critical_illness"), None, None,
                                                        caseworker)
        await counted.stop()
        assert created
        assert counted.sent[0] == "BEGIN;" and counted.sent[-1] == "COMMIT;", counted.sent
        assert (await rows_of(conn, application_id))["topics"] == ["aid.advance.requested", "aid.application.submitted"]
        assert await conn.fetchval("SELECT kind FROM application_payments WHERE application_id = $1", application_id) == "advance"
        assert await conn.fetchval("SELECT subject FROM application_handlers WHERE application_id = $1",
                                   application_id) == "cw-submit-test"


async def test_a_racing_retry_of_the_key_gets_the_first_ones_time(settings):
    """The retry's statement waits at the key for the first submission's commit, which its snapshot predates: the
    first application's time must still be answered (read apart)."""
    async with direct("intake", settings) as ctx, ctx.pool.acquire() as first, ctx.pool.acquire() as retry:
        async with first.transaction():
            first_id, _, first_at = await store.submit(first, application(6), None, "key-race")
            racing = asyncio.create_task(store.submit(retry, application(6), None, "key-race"))
            await asyncio.sleep(0.3)
            assert not racing.done()  # waiting for the first transaction at the key
        assert await racing == (first_id, False, first_at)

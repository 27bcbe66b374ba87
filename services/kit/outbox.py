"""Transactional outbox: events are stored with the state change, then a relay publishes them.

Invariant: an event is in the outbox iff the transaction that produced it committed; it stays in
`outbox_pending` until the broker acknowledged it (the relay then deletes it there), so a crash
between the two publishes it again (consumers' inboxes make that harmless).
"""
from __future__ import annotations

import asyncio
import json
import logging
import time

import asyncpg
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind
from pydantic import BaseModel

from contracts.envelope import Envelope
from contracts.routes import EVENT_TYPE_HEADER, routing_headers
from services.kit import metrics, tracing
from services.kit.broker import kafka_producer
from services.kit.worker import Wakeable

log = logging.getLogger(__name__)
tracer = trace.get_tracer("jointaid.outbox")
CONTENT_TYPE = ("content-type", b"application/json")


async def enqueue(conn: asyncpg.Connection, topic: str, event: Envelope, data: BaseModel | None = None) -> None:
    """Store `event` for publication; call inside the transaction that made it true."""
    await insert(conn, [row(topic, event, data)])


def row(topic: str, event: Envelope, data: BaseModel | None = None, trace_headers: dict | None = None) -> tuple:
    """An outbox row, made where the event is emitted: it keeps that place's trace context, under
    which the relay publishes it, and the routing headers published with it (from the typed data
    when given)."""
    headers = routing_headers(event.event_type, data) if data is not None else {EVENT_TYPE_HEADER: event.event_type}
    carrier = trace_headers if trace_headers is not None else tracing.capture()
    return (event.event_id, event.application_id, topic, event.model_dump_json().encode(), json.dumps(carrier),
            json.dumps(headers))


def stored_ctes(first: int, where: str = "") -> str:
    """`stored` (the rows, answering id and event_id) and `pending` (their ids in outbox_pending: what is still to
    publish, migration 003) as common table expressions, the rows' six arrays (`columns`) at $first onwards. `where`:
    a condition on the caller's own statement (e.g. that its other insert happened), else the rows go in anyway."""
    p = range(first, first + 6)
    return ("stored AS (INSERT INTO outbox(event_id, application_id, topic, payload, trace_headers, headers)"
            f" SELECT * FROM unnest(${p[0]}::uuid[], ${p[1]}::uuid[], ${p[2]}::text[], ${p[3]}::bytea[],"
            f" ${p[4]}::jsonb[], ${p[5]}::jsonb[]){f' WHERE {where}' if where else ''}"
            " RETURNING id, event_id), pending AS (INSERT INTO outbox_pending(id) SELECT id FROM stored)")


INSERT = f"WITH {stored_ctes(1)} SELECT id, event_id FROM stored"  # the rows and their pending ids in one statement
PUBLISHED = "DELETE FROM outbox_pending WHERE id = ANY($1::bigint[])"


def columns(rows: list[tuple]) -> list[list]:
    """Rows (`row`) as the six arrays `stored_ctes` takes."""
    return [list(column) for column in zip(*rows)]


def ids_in_order(rows: list[tuple], stored) -> list[int]:
    """The outbox ids of `rows`, in their order, from what `stored` answered (records with id and event_id)."""
    ids = {record["event_id"]: record["id"] for record in stored}
    return [ids[row[0]] for row in rows]


async def insert(conn: asyncpg.Connection, rows: list[tuple]) -> None:
    """Rows in one statement, in order (a bulk step's events: one insert, not one each)."""
    if rows:
        await conn.execute(INSERT, *columns(rows))


async def insert_for_relay(conn: asyncpg.Connection, rows: list[tuple]) -> list[int]:
    """`insert`, answering the rows' ids: after the commit, `Relay.hand` publishes them without reading them back."""
    if not rows:
        return []
    return ids_in_order(rows, await conn.fetch(INSERT, *columns(rows)))


class Relay:
    """Publishes outbox rows, then marks them published.

    Rows a committed transaction hands over (`hand`: the consumer's batches) are published from memory and
    marked in one statement, without reading them back. Anything else (the API's writes, the workers', rows
    left by a crash or a failed publish) is found by polling: unpublished rows in id order, in batches, under
    FOR UPDATE SKIP LOCKED so that replicas share them. Wake it after a commit."""

    def __init__(self, pool: asyncpg.Pool, broker, *, service: str = "", batch_size: int = 500,
                 idle_poll_seconds: float = 0.5):
        self._pool = pool
        self._broker = broker
        self._service = service  # its label on jointaid_events_published_total
        self._batch_size = batch_size
        self._worker = Wakeable("outbox relay", idle_poll_seconds)
        self._last_poll = float("-inf")
        self._handed: list[dict] = []
        self._in_memory: set[int] = set()  # handed over, not yet marked: the poll leaves them alone
        self._poll_due = False
        self.published = 0

    def wake(self) -> None:
        """Rows were committed that nobody hands over: poll for them now."""
        self._poll_due = True
        self._worker.wake()

    def hand(self, ids: list[int], rows: list[tuple]) -> None:
        """Rows (`row`) whose transaction committed, with their ids (`insert`): publish them from memory."""
        for id_, (_, application_id, topic, payload, trace_headers, headers) in zip(ids, rows):
            self._handed.append({"id": id_, "topic": topic, "application_id": application_id, "payload": payload,
                                 "trace_headers": trace_headers, "headers": headers})
        self._in_memory.update(ids)
        self._worker.wake()

    async def run(self) -> None:
        await self._worker.loop(self.round)

    async def round(self) -> bool:
        """Publish what was handed over; poll when asked (`wake`), after a full poll batch, or when the last poll
        is `idle_poll_seconds` old, however busy the hand-offs keep it. A hand-off's wake finds its rows already
        published by an earlier round more often than not, so it polls nothing."""
        if self._handed:
            await self.publish_handed()
        # 0.9: a wait that timed out polls, whatever the clock's grain
        if self._poll_due or time.monotonic() - self._last_poll >= 0.9 * self._worker.idle_seconds:
            woken, self._poll_due = self._poll_due, False
            self._last_poll = time.monotonic()
            if await self.publish_batch(idle=not woken) == self._batch_size:
                self._poll_due = True  # a full batch: more may be waiting
        return bool(self._handed) or self._poll_due

    async def publish_handed(self) -> int:
        rows, self._handed = self._handed[:self._batch_size], self._handed[self._batch_size:]
        ids = [row["id"] for row in rows]
        try:  # a failed publish or mark leaves the rows unpublished in the table: the poll takes them then
            await self._publish_and_mark(self._pool, rows)
        finally:
            self._in_memory.difference_update(ids)
        self.published += len(rows)
        return len(rows)

    async def publish_batch(self, idle: bool = False) -> int:
        """Publish what the poll finds. idle: most idle polls find nothing, so ask first, without a transaction."""
        async with self._pool.acquire() as conn:
            if idle and not await conn.fetchval(
                    "SELECT EXISTS (SELECT 1 FROM outbox_pending WHERE NOT (id = ANY($1::bigint[])))", list(self._in_memory)):
                return 0
            return await self._publish_polled(conn)

    async def _publish_polled(self, conn) -> int:
        async with conn.transaction():
            rows = await conn.fetch(
                "SELECT id, topic, application_id, payload, trace_headers, headers FROM outbox_pending JOIN outbox USING (id)"
                " WHERE NOT (id = ANY($2::bigint[])) ORDER BY id LIMIT $1 FOR UPDATE OF outbox_pending SKIP LOCKED",
                self._batch_size, list(self._in_memory),
            )
            if not rows:
                return 0
            await self._publish_and_mark(conn, rows)
        self.published += len(rows)
        return len(rows)

    async def _publish_and_mark(self, db, rows) -> None:
        """Publish the rows (acknowledged together), then mark them published through `db` (a pool or a connection)."""
        producer = kafka_producer(self._broker)
        await asyncio.gather(*[await self._publish(producer, row) for row in rows])
        await db.execute(PUBLISHED, [row["id"] for row in rows])
        metrics.published(self._service, [row["topic"] for row in rows])

    async def _publish(self, producer, row) -> asyncio.Future:
        # One PRODUCER span per event, child of the context stored with the row, and its traceparent in
        # the headers: the consumer continues the application's trace from there (consumer.continued_span).
        # FastStream's telemetry middleware would add a create+publish pair per event and a batch span.
        span = tracer.start_span(
            f"{row['topic']} publish", context=propagate.extract(json.loads(row["trace_headers"])), kind=SpanKind.PRODUCER,
            attributes={"messaging.system": "kafka", "messaging.destination.name": row["topic"],
                        "application_id": str(row["application_id"])},
        )
        try:
            headers = {**json.loads(row["headers"]), **tracing.capture(trace.set_span_in_context(span))}
            return await producer.send(row["topic"], value=row["payload"], key=str(row["application_id"]).encode(),
                                       headers=[CONTENT_TYPE, *((name, value.encode()) for name, value in headers.items())])
        finally:
            span.end()

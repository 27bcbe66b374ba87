"""Finished spans into PostgreSQL (`telemetry.spans`), for GET /v1/applications/{id}/trace and /console.

Every service writes its own finished spans to the shared observability schema `telemetry`.
That table is operational data, not service state: nothing is decided from it, a lost batch
loses only a picture, and rows older than JOINTAID_SPAN_RETENTION_DAYS (default 7) are deleted.

How it stays out of the service's way:
- `on_end` (sync, called where a span ends: the service's event-loop thread) only appends the
  span to a bounded deque; when the deque is full the span is dropped and counted.
- `run()` is an asyncio task the runner starts: every `interval` seconds, or as soon as
  `batch_size` spans wait, it COPYs them through its own single connection (not the service's
  pool). Any error is logged (at most once a minute), the batch is dropped, the connection
  is opened again on the next flush. Never raises into the service.
- The table is UNLOGGED and the store's commits asynchronous: spans cost no write-ahead log
  (a PostgreSQL crash, not a clean stop, empties the table).
- At most once an hour per process one flush also deletes the spans past retention.
- Attributes are kept only as short scalars (lists of them): partition, offset, event type,
  links, never a body; those the columns already hold are left out. `application_id` comes from
  the span attribute, else from the Kafka message key.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import uuid
from collections import deque
from datetime import datetime, timezone
from pathlib import Path

import asyncpg
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.trace import StatusCode

from services.kit.db import migrate

log = logging.getLogger(__name__)

SCHEMA = "telemetry"
MIGRATIONS = Path(__file__).parent / "telemetry_migrations"
COLUMNS = ("trace_id", "span_id", "parent_id", "service", "name", "start_ts", "end_ts", "application_id", "attributes")
KEY_ATTRIBUTE = "messaging.kafka.message.key"
MAX_ATTRIBUTE_CHARS = 200
RETENTION_EVERY_SECONDS = 3600.0
# Kept in their own columns, or said by the span's name ("<topic> process"): not repeated in every
# row's attributes (spans were a third of the WAL written per application).
REDUNDANT_ATTRIBUTES = frozenset({"application_id", KEY_ATTRIBUTE, "messaging.system", "messaging.destination.name"})


def retention_days(env=None) -> float:
    env = os.environ if env is None else env
    try:
        return float(env.get("JOINTAID_SPAN_RETENTION_DAYS", "7"))
    except ValueError:
        return 7.0


async def migrate_telemetry(database_url: str) -> list[str]:
    """Create/upgrade the shared `telemetry` schema (no outbox or inbox: it is no service's state)."""
    return await migrate(database_url, SCHEMA, (MIGRATIONS,), with_kit=False)


def _clean(value):
    if isinstance(value, str):  # PostgreSQL text refuses NUL: one hostile URL must not lose a batch
        return value.replace("\x00", "")[:MAX_ATTRIBUTE_CHARS]
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value[:20]]
    return _clean(str(value))


def _uuid(value) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return uuid.UUID(value.decode() if isinstance(value, bytes) else str(value))
    except (ValueError, UnicodeDecodeError):
        return None


def _ts(ns: int | None) -> datetime:
    return datetime.fromtimestamp((ns or 0) / 1e9, tz=timezone.utc)


def to_row(span: ReadableSpan) -> tuple:
    """One span as a telemetry.spans row."""
    ctx = span.context
    attributes = dict(span.attributes or {})
    application_id = _uuid(attributes.get("application_id")) or _uuid(attributes.get(KEY_ATTRIBUTE))
    kept = {k: _clean(v) for k, v in attributes.items() if k not in REDUNDANT_ATTRIBUTES}
    if span.status.status_code is StatusCode.ERROR:
        kept["otel.status_code"] = "ERROR"
    if span.links:  # the payment span links every decision it combines
        kept["links"] = [format(link.context.span_id, "016x") for link in span.links]
    return (
        format(ctx.trace_id, "032x"),
        format(ctx.span_id, "016x"),
        format(span.parent.span_id, "016x") if span.parent is not None else None,
        str(span.resource.attributes.get("service.name", "unknown")),
        _clean(span.name),
        _ts(span.start_time),
        _ts(span.end_time or span.start_time),
        application_id,
        json.dumps(kept, default=str),
    )


class SpanStore(SpanProcessor):
    """Buffers finished spans in memory; `run()` flushes them to telemetry.spans in batches."""

    def __init__(self, *, batch_size: int = 200, interval: float = 1.0, max_buffer: int = 50_000,
                 retention_days: float = 7.0):
        self.batch_size = batch_size
        self.interval = interval
        self.max_buffer = max_buffer
        self.retention_days = retention_days
        self._buffer: deque[ReadableSpan] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._wake_pending = False
        self._conn: asyncpg.Connection | None = None
        self._last_retention = float("-inf")
        self._last_error_log = float("-inf")
        self.stored = 0
        self.dropped = 0

    # -- SpanProcessor (sync, never raises) ------------------------------------------------
    def on_start(self, span, parent_context=None) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        try:
            if len(self._buffer) >= self.max_buffer:
                self.dropped += 1
                return
            self._buffer.append(span)
            if len(self._buffer) >= self.batch_size and not self._wake_pending and self._loop is not None:
                self._wake_pending = True
                if _in_loop_thread(self._loop):
                    self._wake.set()
                else:
                    self._loop.call_soon_threadsafe(self._wake.set)
        except Exception:  # noqa: BLE001 - a span store must never break the service
            self.dropped += 1

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    # -- the flushing task ---------------------------------------------------------------
    async def run(self, database_url: str) -> None:
        """Flush until cancelled; on cancel, one last flush (bounded in time), then close."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._database_url = database_url
        try:
            while True:
                try:
                    await asyncio.wait_for(self._wake.wait(), self.interval)
                except asyncio.TimeoutError:
                    pass
                self._wake.clear()
                self._wake_pending = False
                await self.flush()
        except asyncio.CancelledError:
            try:
                await asyncio.wait_for(self.flush(), 3.0)
            except BaseException:  # noqa: BLE001 - stopping anyway
                pass
            raise
        finally:
            await self._close()

    async def flush(self) -> int:
        """Write what is buffered now; returns how many spans were stored. Errors drop the batch."""
        written = 0
        while self._buffer:
            spans = [self._buffer.popleft() for _ in range(min(len(self._buffer), 2000))]
            rows = []
            for span in spans:
                try:
                    rows.append(to_row(span))
                except Exception:  # noqa: BLE001 - one odd span is dropped, not the batch
                    self.dropped += 1
            try:
                conn = await self._connection()
                await conn.copy_records_to_table("spans", schema_name=SCHEMA, records=rows, columns=COLUMNS)
                written += len(rows)
                self.stored += len(rows)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - database away: drop, log, reconnect next time
                self.dropped += len(rows)
                self._complain("span store: dropped %d spans: %s: %s", len(rows), type(exc).__name__, exc)
                await self._close()
                return written
        await self._retention()
        return written

    async def _retention(self) -> None:
        if time.monotonic() - self._last_retention < RETENTION_EVERY_SECONDS or self._conn is None:
            return
        self._last_retention = time.monotonic()
        try:
            result = await self._conn.execute(
                "DELETE FROM telemetry.spans WHERE start_ts < now() - make_interval(secs => $1)",
                self.retention_days * 86400.0,
            )
            deleted = int(result.split()[-1])
            if deleted:
                log.info("span store: deleted %d spans older than %g days", deleted, self.retention_days)
        except Exception as exc:  # noqa: BLE001
            self._complain("span store: retention failed: %s: %s", type(exc).__name__, exc)

    async def _connection(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            self._conn = await asyncpg.connect(
                self._database_url, timeout=5,
                # its commits need not wait for a disk flush: a lost batch loses only a picture
                server_settings={"application_name": "jointaid-span-store", "synchronous_commit": "off"},
            )
        return self._conn

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await asyncio.wait_for(conn.close(), 2.0)
            except BaseException:  # noqa: BLE001
                conn.terminate()

    def _complain(self, message: str, *args) -> None:
        now = time.monotonic()
        if now - self._last_error_log >= 60:
            self._last_error_log = now
            log.warning(message, *args)


def _in_loop_thread(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False

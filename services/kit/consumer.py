"""One consumer per service: parse, dedupe, handle in one transaction, then acknowledge.

- Offsets are committed after the handler's transaction commits (NACK_ON_ERROR: a raised
  error rewinds to the message, so it is delivered again).
- The inbox makes a redelivery change nothing.
- An event that fails validation, or whose handler keeps failing, goes to `aid.dlq` with the
  error and its origin in headers; the partition keeps flowing.
- A database outage is not the event's fault: it is retried without limit, never dead-lettered.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Awaitable, Callable

import asyncpg
from faststream import AckPolicy
from faststream.kafka.annotations import KafkaMessage
from opentelemetry import trace
from pydantic import BaseModel, ValidationError

from contracts import topics
from contracts.envelope import Envelope, new_envelope
from contracts.events import EVENT_MODELS
from services.kit import inbox, metrics, outbox
from services.kit.db import CONNECTION_ERRORS

if TYPE_CHECKING:
    from services.kit.runner import ServiceContext

log = logging.getLogger(__name__)
HANDLER_ATTEMPTS = 3


@dataclass
class Tx:
    """What a handler gets: its transaction's connection and a way to emit events through the outbox."""

    conn: asyncpg.Connection
    producer: str
    application_id: object

    async def emit(self, event_type: str, data: BaseModel) -> Envelope:
        event = new_envelope(event_type, self.application_id, self.producer, data)
        await outbox.enqueue(self.conn, topic_of(event_type), event)
        return event


Handler = Callable[[Tx, Envelope, BaseModel], Awaitable[None]]


def topic_of(event_type: str) -> str:
    """aid.decision.made.v1 -> aid.decision.made"""
    return event_type.rsplit(".", 1)[0]


def parse(raw: bytes) -> tuple[Envelope, BaseModel]:
    event = Envelope.model_validate_json(raw)
    model = EVENT_MODELS.get(event.event_type)
    if model is None:
        raise ValueError(f"unknown event_type {event.event_type}")
    return event, model.model_validate(event.data)


async def handle(ctx: "ServiceContext", handler: Handler, event: Envelope, data: BaseModel) -> bool:
    """Apply one event in one transaction; False when the inbox had it already."""
    trace.get_current_span().set_attribute("application_id", str(event.application_id))
    async with ctx.pool.acquire() as conn, conn.transaction():
        if not await inbox.claim(conn, ctx.name, event.event_id):
            return False
        await handler(Tx(conn, ctx.name, event.application_id), event, data)
    ctx.relay.wake()
    return True


def describe(exc: Exception) -> str:
    """An error in words, without echoing input values (they may hold personal data)."""
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_input=False))[:500]
    return f"{type(exc).__name__}: {str(exc)[:500]}"


def subscribe(ctx: "ServiceContext", handlers: dict[str, Handler]) -> None:
    """Register the service's single consumer over every topic its handlers need."""
    wanted = sorted({topic_of(t) for t in handlers})
    metrics.prime(ctx.name)

    async def consume(message: KafkaMessage) -> None:
        try:
            event, data = parse(message.body)
        except (ValidationError, ValueError) as exc:
            await dead_letter(ctx, message, f"invalid event: {describe(exc)}")
            return
        handler = handlers.get(event.event_type)
        if handler is not None:
            await _handle_with_retries(ctx, handler, event, data, message)

    ctx.broker.subscriber(
        *wanted, group_id=ctx.group_id, auto_offset_reset="earliest", ack_policy=AckPolicy.NACK_ON_ERROR
    )(consume)


async def _handle_with_retries(ctx, handler, event, data, message) -> None:
    for attempt in range(1, HANDLER_ATTEMPTS + 1):
        started = time.perf_counter()
        try:
            applied = await handle(ctx, handler, event, data)
            metrics.observe_processing(ctx.name, event.event_type, time.perf_counter() - started)
            metrics.processed(ctx.name, "handled" if applied else "duplicate")
            return
        except CONNECTION_ERRORS:
            metrics.processed(ctx.name, "retried")
            log.warning("%s: database unavailable; event %s will be redelivered", ctx.name, event.event_type)
            await asyncio.sleep(1.0)
            raise
        except Exception as exc:
            log.exception("%s: handler failed on %s (attempt %d) for application %s",
                          ctx.name, event.event_type, attempt, event.application_id)
            if attempt == HANDLER_ATTEMPTS:
                await dead_letter(ctx, message, f"handler failed {attempt} times: {describe(exc)}")
                return
            metrics.processed(ctx.name, "retried")
            await asyncio.sleep(0.1 * 2**attempt)


async def dead_letter(ctx: "ServiceContext", message, error: str) -> None:
    raw = message.raw_message
    metrics.processed(ctx.name, "dead_lettered")
    await ctx.broker.publish(
        message.body,
        topics.DLQ,
        key=raw.key,
        headers={
            "x-error": error,
            "x-origin-topic": raw.topic,
            "x-origin-partition": str(raw.partition),
            "x-origin-offset": str(raw.offset),
            "x-consumer": ctx.name,
        },
    )
    log.error("%s: dead-lettered %s[%s]@%s: %s", ctx.name, raw.topic, raw.partition, raw.offset, error[:200])

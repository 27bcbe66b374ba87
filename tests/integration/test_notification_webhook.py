"""Notification by webhook and in the citizen's language (real broker, real database, real HTTP).

The receiver is a tiny HTTP/1.1 server on a free local port (asyncio.start_server); it answers
from a script of status codes and records every request it got.
"""
from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid

import pytest

from contracts.envelope import new_envelope
from contracts.events import (
    Decision, Department, Language, Outcome, PaymentIssued, PaymentLine, Program, Recurring,
)
from services.kit.consumer import HANDLER_ATTEMPTS
from services.notification.channels import WebhookChannel, WebhookError
from tests.integration.conftest import eventually, running

REASONS = {"ok": "OK", 503: "Service Unavailable", 400: "Bad Request"}


@dataclasses.dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: dict
    status: int


class Receiver:
    """Answers each application's requests with the next status of `script` (the last one repeats).

    Counting per application (its Idempotency-Key) keeps a stray event of another test from
    shifting the script."""

    def __init__(self, script: list[int]):
        self.script = script
        self.requests: list[Request] = []
        self.server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        host, port = self.server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}/hook"

    def of(self, application_id) -> list[Request]:
        return [r for r in self.requests if r.headers.get("idempotency-key") == str(application_id)]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if line)}
            raw = await reader.readexactly(int(headers.get("content-length", "0")))
            earlier = len([r for r in self.requests if r.headers.get("idempotency-key") == headers.get("idempotency-key")])
            status = self.script[min(earlier, len(self.script) - 1)]
            self.requests.append(Request(method, path, headers, json.loads(raw or b"{}"), status))
            reply = b"{}" if status < 300 else b'{"error": "try later"}'
            writer.write(
                f"HTTP/1.1 {status} {REASONS.get(status, 'OK')}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(reply)}\r\nConnection: close\r\n\r\n".encode() + reply
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def __aenter__(self) -> "Receiver":
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc) -> None:
        self.server.close()
        await self.server.wait_closed()


def payment_event(application_id, language: Language | None = Language.zh, last4: str = "1234"):
    decision = Decision(department=Department.civil_affairs, program=Program.temporary_assistance, layer=4,
                        outcome=Outcome.approved, amount_fen=100_000, recurring=Recurring.one_off,
                        reason="tier 1,000.00")
    fields = dict(payment_id=uuid.uuid4(), total_fen=100_000,
                  lines=(PaymentLine(department=Department.civil_affairs, program=Program.temporary_assistance,
                                     amount_fen=100_000),),
                  decisions=(decision,), account_kind="bank_card", account_last4=last4)
    if language is not None:
        fields["language"] = language
    event = new_envelope("aid.payment.issued.v1", application_id, "disbursement", PaymentIssued(**fields))
    if language is None:
        event.data.pop("language")  # an event from a producer that does not carry the field
    return event


async def sent(db, application_id):
    return await db.fetchval(
        "SELECT NOT EXISTS (SELECT 1 FROM notification.outbox_pending WHERE id = o.id) FROM notification.outbox o"
        " WHERE application_id = $1", application_id)


async def message(db, application_id):
    return await db.fetchrow("SELECT channel, language, text FROM notification.messages WHERE application_id = $1",
                             application_id)


async def test_webhook_retries_then_one_message(settings, publish, db):
    application_id = uuid.uuid4()
    async with Receiver([503, 503, 200]) as receiver:
        webhook = dataclasses.replace(settings, notify_webhook_url=receiver.url, notify_webhook_backoff=0.05)
        async with running("notification", webhook):
            await publish(payment_event(application_id))
            await eventually(lambda: sent(db, application_id))
            await asyncio.sleep(0.5)  # nothing more may arrive
        got = receiver.of(application_id)

    assert [r.status for r in got] == [503, 503, 200]
    accepted = [r for r in got if r.status == 200]
    assert len(accepted) == 1
    post = accepted[0]
    assert post.method == "POST" and post.path == "/hook"
    assert post.headers["idempotency-key"] == str(application_id)
    assert post.headers["content-type"].startswith("application/json")
    assert set(post.body) == {"application_id", "language", "text"}
    assert post.body["application_id"] == str(application_id)
    assert post.body["language"] == "zh"
    assert "合计：1,000.00 元" in post.body["text"]

    row = await message(db, application_id)
    assert await db.fetchval("SELECT count(*) FROM notification.messages WHERE application_id = $1", application_id) == 1
    assert row["channel"] == "webhook" and row["text"] == post.body["text"]
    assert await db.fetchval(
        "SELECT count(*) FROM notification.outbox WHERE application_id = $1 AND topic = 'aid.notification.sent'"
        " AND convert_from(payload, 'UTF8')::jsonb->>'event_type' = 'aid.notification.sent.v1'",
        application_id) == 1
    assert await db.fetchval("SELECT count(*) FROM notification.outbox WHERE application_id = $1", application_id) == 1


async def test_webhook_that_keeps_failing_stores_nothing(settings, publish, db):
    """Every attempt fails: the transaction rolls back each time, so no message and no sent event."""
    application_id = uuid.uuid4()
    async with Receiver([503]) as receiver:
        webhook = dataclasses.replace(settings, notify_webhook_url=receiver.url, notify_webhook_attempts=2,
                                      notify_webhook_backoff=0.01)
        async with running("notification", webhook):
            await publish(payment_event(application_id))
            # one event per transaction with a webhook: HANDLER_ATTEMPTS (then the dead-letter queue) x 2 webhook attempts
            expected = HANDLER_ATTEMPTS * 2

            async def all_attempts():
                return len(receiver.of(application_id)) >= expected

            await eventually(all_attempts)
            await asyncio.sleep(1.0)
        assert len(receiver.of(application_id)) == expected
    assert await db.fetchval("SELECT count(*) FROM notification.messages WHERE application_id = $1", application_id) == 0
    assert await db.fetchval("SELECT count(*) FROM notification.outbox WHERE application_id = $1", application_id) == 0


async def test_webhook_client_error_is_not_retried():
    async with Receiver([400]) as receiver:
        channel = WebhookChannel(receiver.url, attempts=5, backoff=0.01)
        with pytest.raises(WebhookError, match="HTTP 400"):
            await channel.send(uuid.uuid4(), "text", "zh")
    assert len(receiver.requests) == 1


async def test_webhook_connection_refused_is_retried_then_raises():
    async with Receiver([200]) as receiver:
        url = receiver.url
    channel = WebhookChannel(url, attempts=3, backoff=0.01)  # the server is gone: connection refused
    with pytest.raises(WebhookError, match="failed 3 times"):
        await channel.send(uuid.uuid4(), "text", "zh")


async def test_english_application_gets_english_text(settings, publish, db):
    application_id = uuid.uuid4()
    async with running("notification", settings):
        await publish(payment_event(application_id, Language.en, last4="9876"))
        await eventually(lambda: sent(db, application_id))
    row = await message(db, application_id)
    assert row["language"] == "en"
    assert "Total: 1,000.00 yuan" in row["text"]
    assert "temporary assistance" in row["text"] and "ending 9876" in row["text"]
    assert "合计" not in row["text"] and "临时救助" not in row["text"]


async def test_service_default_language_applies_only_when_the_event_has_none(settings, publish, db):
    """JOINTAID_LANGUAGE=en: an event without a language gets English; an explicit zh stays Chinese."""
    english = dataclasses.replace(settings, language="en")
    unset, chinese = uuid.uuid4(), uuid.uuid4()
    async with running("notification", english):
        await publish(payment_event(unset, language=None))
        await publish(payment_event(chinese, Language.zh))
        await eventually(lambda: sent(db, unset))
        await eventually(lambda: sent(db, chinese))
    row = await message(db, unset)
    assert row["language"] == "en" and "Total: 1,000.00 yuan" in row["text"]
    row = await message(db, chinese)
    assert row["language"] == "zh" and "合计：1,000.00 元" in row["text"]

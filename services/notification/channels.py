"""Where a message goes, chosen from settings in main.py.

- `StoredChannel` (default): the message is kept in notification's table (shown in intake's
  HTTP view) and a line is logged.
- `WebhookChannel` (`JOINTAID_NOTIFY_WEBHOOK_URL` set): the message is also POSTed as JSON
  `{"application_id", "language", "text"}` with an `Idempotency-Key: <application_id>` header.

Delivery guarantee of the webhook (at least once, not exactly once):
`handlers.deliver` inserts the message row and calls `send` inside the consumer's transaction.
If every attempt fails, `send` raises `WebhookError`: the transaction rolls back (no row, no
`aid.notification.sent`), the consumer retries the event and finally dead-letters it; a
redelivery tries again. But if the receiver accepted the POST and the commit then fails (database
lost at that instant, process killed), the event is redelivered and the POST is sent a second time.
`notification.messages` still holds exactly one row; the receiver must dedupe on the
`Idempotency-Key` header (the application id: one message per application).

Logs carry the application id and lengths only, never the text (it describes a household's hardship).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Protocol

import httpx

log = logging.getLogger(__name__)


class Channel(Protocol):
    name: str

    async def send(self, application_id, text: str, language: str = "zh") -> None: ...


class StoredChannel:
    """The message is kept in notification's table; citizens read it through intake's view."""

    name = "stored"

    async def send(self, application_id, text: str, language: str = "zh") -> None:
        log.info("message sent to the citizen of application %s (%d characters)", application_id, len(text))


class WebhookError(RuntimeError):
    """The webhook did not accept the message. Not an OSError: the consumer retries the event a few
    times and then dead-letters it instead of retrying without limit as it does for a database outage."""


def _retryable(status: int) -> bool:
    return status >= 500 or status == 429


class WebhookChannel:
    """POST each message to a URL; retry connection errors, 5xx and 429 with exponential backoff."""

    name = "webhook"

    def __init__(self, url: str, attempts: int = 5, backoff: float = 0.5, timeout: float = 10.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.url = url
        self.attempts = attempts
        self.backoff = backoff
        self.timeout = timeout
        self.transport = transport

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based): backoff, 2×, 4×, ..."""
        return self.backoff * 2 ** (attempt - 1)

    async def send(self, application_id, text: str, language: str = "zh") -> None:
        body = {"application_id": str(application_id), "language": language, "text": text}
        headers = {"Idempotency-Key": str(application_id)}
        problem = ""
        async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as client:
            for attempt in range(1, self.attempts + 1):
                try:
                    response = await client.post(self.url, json=body, headers=headers)
                except httpx.TransportError as exc:  # connection refused/reset, timeouts
                    problem = type(exc).__name__
                else:
                    if response.is_success:
                        log.info("message for application %s delivered by webhook (%d characters, attempt %d)",
                                 application_id, len(text), attempt)
                        return
                    problem = f"HTTP {response.status_code}"
                    if not _retryable(response.status_code):
                        raise WebhookError(f"webhook refused the message for application {application_id}: {problem}")
                if attempt < self.attempts:
                    log.warning("webhook attempt %d/%d for application %s failed (%s); retrying",
                                attempt, self.attempts, application_id, problem)
                    await asyncio.sleep(self.delay(attempt))
        raise WebhookError(f"webhook failed {self.attempts} times for application {application_id}: {problem}")

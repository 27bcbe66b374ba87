"""Where a message goes. The default stores it (shown in the HTTP view) and logs that it was sent."""
from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger(__name__)


class Channel(Protocol):
    name: str

    async def send(self, application_id, text: str) -> None: ...


class StoredChannel:
    """The message is kept in notification's table; citizens read it through intake's view."""

    name = "stored"

    async def send(self, application_id, text: str) -> None:
        log.info("message sent to the citizen of application %s (%d characters)", application_id, len(text))

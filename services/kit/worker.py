"""A background worker that works in rounds: at once when woken after a commit, else on a poll."""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

log = logging.getLogger(__name__)


class Wakeable:
    """Runs `round` until cancelled: again at once while it says more may be waiting, otherwise
    when woken or after `idle_seconds`; an error (broker or database away) backs off and retries."""

    def __init__(self, name: str, idle_seconds: float = 0.5):
        self.name = name
        self.idle_seconds = idle_seconds
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def loop(self, round: Callable[[], Awaitable[bool]]) -> None:
        delay = 0.2
        while True:
            try:
                more = await round()
                delay = 0.2
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # nothing is lost: the rows stay for the next round
                log.warning("%s: %s: %s; retrying in %.1fs", self.name, type(exc).__name__, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            if not more:
                try:
                    await asyncio.wait_for(self._wake.wait(), self.idle_seconds)
                except asyncio.TimeoutError:
                    pass
                self._wake.clear()


class BackgroundWorker:
    """A service's background task that works in rounds (ServiceSpec.background), woken after each commit
    (ServiceSpec.after_commit): a subclass says what one round does."""

    def __init__(self, name: str, idle_seconds: float = 0.5):
        self._worker = Wakeable(name, idle_seconds)

    def wake(self) -> None:
        self._worker.wake()

    async def run(self, ctx) -> None:
        await self._worker.loop(lambda: self.round(ctx))

    async def round(self, ctx) -> bool:
        """One round's work; True when more may be waiting (the next round starts at once)."""
        raise NotImplementedError

"""Consumer offsets committed a little behind, at most once per `every` seconds, instead of once per batch.

Why: FastStream acknowledges each batch with `consumer.commit()`, a round trip to the group coordinator
that waits for its answer. At an even rate most batches are one or two events, so that was one broker
round trip per event per service.

Why it stays safe: an offset is only ever taken from a batch that has been applied and committed in
PostgreSQL (FastStream acknowledges after the handler returns, and takes the next batch only after that).
So the committed offset is never ahead of the work. Holding it back for a moment only means that a crash,
or a partition moving to another replica, redelivers up to `every` seconds of events, and the inbox turns
each of those into a no-op. A graceful stop commits what is pending before the consumer leaves its group.
"""
from __future__ import annotations

import asyncio
import logging

from aiokafka.errors import KafkaError

log = logging.getLogger(__name__)
COMMIT_EVERY_SECONDS = 0.25


class CommitBehind:
    """Stands in for an aiokafka consumer's `commit()` and `stop()` (installed by `install`)."""

    def __init__(self, consumer, every: float = COMMIT_EVERY_SECONDS):
        self.consumer = consumer
        self.every = every
        self._commit_now = consumer.commit
        self._stop = consumer.stop
        self._pending = None  # (assignment, offsets) of the last acknowledged batch
        self._timer: asyncio.Task | None = None

    async def commit(self, offsets=None) -> None:
        if offsets is not None:  # an explicit commit is done at once, as asked
            await self._commit_now(offsets)
            return
        assignment = self.consumer._subscription.subscription.assignment  # what `commit()` itself reads
        if assignment is None:
            return
        # the positions now are the ends of the batches applied so far (the next getmany has not run)
        self._pending = (assignment, assignment.all_consumed_offsets())
        if self._timer is None or self._timer.done():
            self._timer = asyncio.create_task(self._later(), name="offsets-commit")

    async def _later(self) -> None:
        await asyncio.sleep(self.every)
        await self.flush()

    async def flush(self) -> None:
        pending, self._pending = self._pending, None
        if not pending or not pending[1]:
            return
        try:
            await self.consumer._coordinator.commit_offsets(*pending)
        except KafkaError as exc:  # e.g. the partitions moved on: their next owner redelivers, the inbox dedupes
            log.info("offsets not committed (%s): those events may be delivered again", type(exc).__name__)

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        await self.flush()
        await self._stop()


def install(consumer, every: float = COMMIT_EVERY_SECONDS) -> None:
    """Make a started consumer's `commit()` (what FastStream's acknowledgement calls) commit behind."""
    behind = CommitBehind(consumer, every)
    consumer.commit_behind = behind
    consumer.commit = behind.commit
    consumer.stop = behind.stop

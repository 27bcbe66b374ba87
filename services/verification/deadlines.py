"""Registries that do not answer within the deadline escalate the application, as a late department does.

Escalation decides nothing: a late answer still verifies the application, once (the row is deleted then).
"""
from __future__ import annotations

import json
import logging

from contracts.events import CaseEscalated
from services.kit import tracing
from services.kit.consumer import Tx
from services.kit.worker import Wakeable

log = logging.getLogger(__name__)
BATCH = 100


async def sweep(ctx, limit: int = BATCH) -> int:
    async with ctx.pool.acquire() as conn, conn.transaction():
        late = await conn.fetch(
            "UPDATE awaiting_registries SET escalated_at = now() WHERE application_id IN (SELECT application_id"
            " FROM awaiting_registries WHERE escalated_at IS NULL AND asked_at < now() - make_interval(secs => $1)"
            " ORDER BY asked_at LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING application_id, trace_headers",
            ctx.settings.deadline_seconds, limit,
        )
        for row in late:
            with tracing.resumed(json.loads(row["trace_headers"] or "{}")):
                await Tx(conn, ctx.name, row["application_id"]).emit("aid.case.escalated.v1", CaseEscalated(
                    reason="the registries did not answer within the deadline; the application waits for them"))
            log.warning("application %s escalated: no registry answer within %.0f s", row["application_id"],
                        ctx.settings.deadline_seconds)
    if late:
        ctx.relay.wake()
    return len(late)


async def run_sweeper(ctx) -> None:
    interval = min(5.0, max(0.2, ctx.settings.deadline_seconds / 4))
    await Wakeable("registry deadlines", idle_seconds=interval).loop(lambda: _round(ctx))


async def _round(ctx) -> bool:
    return await sweep(ctx) == BATCH  # a full batch: more may be late

"""The deadline sweeper: an application whose answers are late is escalated, not left silent.

A later answer still completes it normally: escalation does not settle, so the payment is made
exactly once when the last answer arrives. A payment waiting for an approver is not late: its
application is settled (every answer in), so it is never escalated for that; the sweep counts them.
"""
from __future__ import annotations

import asyncio
import logging

from prometheus_client import Gauge

from contracts.events import CaseEscalated
from services.disbursement import approvals, settlement, store
from services.kit import metrics, tracing
from services.kit.consumer import Tx

log = logging.getLogger(__name__)
APPROVALS_WAITING = Gauge("jointaid_payments_awaiting_approval", "Payments above the approval threshold waiting for an approver",
                          registry=metrics.REGISTRY, multiprocess_mode="livemax")


async def sweep(ctx, limit: int = 100) -> int:
    async with ctx.pool.acquire() as conn, conn.transaction():
        late = await store.overdue(conn, limit)
        for row in late:
            decisions, traces = await store.decisions_with_traces(conn, row["application_id"])
            missing = settlement.missing_layers(row["expected_layers"], [d.layer for d in decisions])
            with tracing.resumed(traces[0] if traces else {}):
                await store.mark_escalated(conn, row["application_id"])
                reason = (f"answers past the deadline: layers {', '.join(map(str, missing))} missing" if missing else
                          "past the deadline: every answer is in, the advance is not settled yet")
                await Tx(conn, "disbursement", row["application_id"]).emit("aid.case.escalated.v1", CaseEscalated(
                    reason=reason, missing_layers=tuple(missing)))
            log.warning("application %s escalated: layers %s missing", row["application_id"], missing)
        waiting = await approvals.waiting(conn)
    if waiting != APPROVALS_WAITING._value.get():  # logged when it changes, not every round
        log.info("%d payment(s) waiting for an approver (never escalated for that)", waiting)
    APPROVALS_WAITING.set(waiting)
    if late:
        ctx.relay.wake()
    return len(late)


async def run_sweeper(ctx) -> None:
    interval = min(5.0, max(0.2, ctx.settings.deadline_seconds / 4))
    while True:
        try:
            await sweep(ctx)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # database away: next round
            log.warning("deadline sweeper: %s", type(exc).__name__)
        await asyncio.sleep(interval)

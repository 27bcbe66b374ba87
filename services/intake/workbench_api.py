"""The lists the caseworkers' workbench needs beside the contract's: GET /v1/appeals and GET /v1/payment-runs.

The contract names one appeal and one run by id; a workbench shows what is waiting, so these list them,
newest first, paged like every list (`?limit=&after=`). No personal data: an appeal is listed by its ids,
layer, status and amounts (its grounds stay on GET /v1/appeals/{appeal_id}, whose read is logged); a run by
its kind, period and progress.
"""
from __future__ import annotations

from typing import Literal

import asyncpg
from fastapi import FastAPI, Query

from services.intake import payment_runs
from services.intake.answers import SIGNED_IN, answers

DEFAULT_PAGE, MAX_PAGE = 50, 200
AppealStatus = Literal["filed", "under_review", "upheld", "revised", "open"]


async def appeals_page(conn: asyncpg.Connection, status: str | None, limit: int, after: int | None) -> dict:
    """Appeals newest first; `open` = filed or under review. `after` is the previous page's next_after (a row number)."""
    statuses = ["filed", "under_review"] if status == "open" else [status] if status else None
    rows = await conn.fetch(
        "SELECT appeal_id, application_id, layer, status, supplement_fen, filed_at, decided_at FROM appeals"
        " WHERE ($1::text[] IS NULL OR status = ANY($1)) ORDER BY filed_at DESC, appeal_id OFFSET $2 LIMIT $3",
        statuses, after or 0, limit + 1)
    appeals = [{**dict(r), "appeal_id": str(r["appeal_id"]), "application_id": str(r["application_id"]),
                "filed_at": r["filed_at"].isoformat(), "decided_at": r["decided_at"] and r["decided_at"].isoformat()}
               for r in rows[:limit]]
    return {"appeals": appeals, "next_after": (after or 0) + limit if len(rows) > limit else None}


async def runs_page(conn: asyncpg.Connection, limit: int, after: int | None) -> dict:
    """Payment runs newest first, each with its progress (payment_runs.view)."""
    ids = await conn.fetch("SELECT run_id FROM payment_runs ORDER BY requested_at DESC, run_id OFFSET $1 LIMIT $2",
                           after or 0, limit + 1)
    runs = [await payment_runs.view(conn, r["run_id"]) for r in ids[:limit]]
    return {"runs": runs, "next_after": (after or 0) + limit if len(ids) > limit else None}


def install(app: FastAPI, ctx) -> None:
    """Routes on the app itself (not an APIRouter), so the role table's test sees them (see recipients_api)."""

    @app.get("/v1/appeals", responses=answers(*SIGNED_IN, 422))
    async def list_appeals(status: AppealStatus | None = None, limit: int = Query(default=DEFAULT_PAGE, ge=1, le=MAX_PAGE),
                           after: int | None = Query(default=None, ge=0, description="the previous page's next_after")):
        """Appeals newest first: `{"appeals": [{"appeal_id", "application_id", "layer", "status", "supplement_fen",
        "filed_at", "decided_at"}], "next_after"}`; `status=open` lists those filed or under review."""
        async with ctx.pool.acquire() as conn:
            return await appeals_page(conn, status, limit, after)

    @app.get("/v1/payment-runs", responses=answers(*SIGNED_IN, 422))
    async def list_runs(limit: int = Query(default=DEFAULT_PAGE, ge=1, le=MAX_PAGE),
                        after: int | None = Query(default=None, ge=0, description="the previous page's next_after")):
        """Payment runs newest first, each as GET /v1/payment-runs/{run_id} shows it: `{"runs": [...], "next_after"}`."""
        async with ctx.pool.acquire() as conn:
            return await runs_page(conn, limit, after)


"""GET /v1/recipients and GET /v1/recipients/{recipient_id} (contract: DESIGN.md "Caseload and payment runs")."""
from __future__ import annotations

import uuid

import asyncpg
from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse

from contracts.events import RecipientStatus
from services.intake import access_log, recipients
from services.intake.answers import SIGNED_IN, Detail, answers

UNKNOWN = {404: {"description": "no recipient with this id", "model": Detail}}
NOT_SET_UP = {"detail": "the caseload is not set up yet (its migrations have not run); try again shortly"}
PURPOSE = Query(default=None, max_length=200, description="why the data is read; written to the access log")


def install(app: FastAPI, ctx) -> None:
    """Routes on the app itself, as payment_runs_api does: this FastAPI keeps an included APIRouter as one opaque
    entry of app.routes, out of the role table's check that every route is listed (tests/unit/test_role_table.py)."""

    @app.get("/v1/recipients", responses=answers(*SIGNED_IN, 422))
    async def list_recipients(request: Request, status: RecipientStatus | None = None,
                              region: str | None = Query(default=None, pattern=r"^[0-9]{6}$", description="region code"),
                              limit: int = Query(default=recipients.DEFAULT_PAGE, ge=1, le=recipients.MAX_PAGE),
                              after: uuid.UUID | None = Query(default=None, description="the last recipient_id of the "
                                                                                        "previous page"),
                              purpose: str | None = PURPOSE):
        """Households of the caseload in recipient_id order, ID numbers masked; continue with `after=next_after`.
        Every household listed is written to the access log (its members' names are personal data)."""
        try:
            async with ctx.pool.acquire() as conn, conn.transaction():
                found = await recipients.page(conn, status=status and status.value, region=region, after=after, limit=limit)
                ids = [uuid.UUID(r["recipient_id"]) for r in found["recipients"]]
                if ids:
                    await access_log.record_all(conn, request.state.principal, ids, "recipient list", purpose)
        except asyncpg.UndefinedTableError:
            return JSONResponse(status_code=503, content=NOT_SET_UP)
        return found

    @app.get("/v1/recipients/{recipient_id}", responses={**answers(*SIGNED_IN, 422), **UNKNOWN})
    async def get_recipient(recipient_id: uuid.UUID, request: Request, purpose: str | None = PURPOSE):
        """One household: status, monthly amount, members (ID numbers masked), review date and every change with its
        reason. The read is written to the access log before the data leaves."""
        try:
            async with ctx.pool.acquire() as conn, conn.transaction():
                found = await recipients.one(conn, recipient_id)
                if found is not None:
                    await access_log.record(conn, request.state.principal, recipient_id, "recipient", purpose)
        except asyncpg.UndefinedTableError:
            return JSONResponse(status_code=503, content=NOT_SET_UP)
        if found is None:
            return JSONResponse(status_code=404, content={"detail": "no recipient with this id"})
        return found

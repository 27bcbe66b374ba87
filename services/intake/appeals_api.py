"""POST /v1/applications/{application_id}/appeals and GET /v1/appeals/{appeal_id} (contract: DESIGN.md)."""
from __future__ import annotations

import uuid

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse

from contracts.appeal import AppealIn
from services.intake import access_log, appeals
from services.intake.answers import SIGNED_IN, FieldError, answers

REFUSED = {409: {"description": "appeal_not_notified, appeal_rejected or appeal_open (the rule is named)",
                 "model": list[FieldError]}}
PURPOSE = Query(default=None, max_length=200, description="why the data is read; written to the access log")


def install(app: FastAPI, ctx) -> None:
    """Routes on the app itself (not an APIRouter), so the role table's test sees them (see recipients_api)."""

    async def owner(appeal_id: str):
        async with ctx.pool.acquire() as conn:
            return await appeals.application_of(conn, appeal_id)

    app.state.scope_lookups = {**getattr(app.state, "scope_lookups", {}), "appeal_id": owner}  # access.scope_of

    @app.post("/v1/applications/{application_id}/appeals", status_code=202,
              responses={**answers(*SIGNED_IN, 404, 422), **REFUSED})
    async def file_appeal(application_id: uuid.UUID, body: AppealIn, request: Request):
        """Appeal one layer with new facts, within [appeals] window_days (60) of the notice (422 `appeal_window` after).
        The application's citizen token or a caseworker. The department decides the layer again, the later layers
        follow; only a higher total is paid (a `supplement` payment of the difference). Answer: `{"appeal_id", "status"}`."""
        try:
            async with ctx.pool.acquire() as conn, conn.transaction():
                filed = await appeals.file(conn, application_id, body, request.state.principal)
        except appeals.Refused as refused:
            return JSONResponse(status_code=refused.status, content=refused.body)
        ctx.relay.wake()
        return filed

    @app.get("/v1/appeals/{appeal_id}", responses=answers(*SIGNED_IN, 404, 422))
    async def get_appeal(appeal_id: uuid.UUID, request: Request, purpose: str | None = PURPOSE):
        """`{"appeal_id", "application_id", "layer", "status": "filed" | "under_review" | "upheld" | "revised",
        "supplement_fen", "payment_id", "filed_at", "decided_at", "decisions", "notice"}` (the read is logged)."""
        async with ctx.pool.acquire() as conn, conn.transaction():
            found = await appeals.view(conn, appeal_id)
            if found is not None:
                await access_log.record(conn, request.state.principal, uuid.UUID(found["application_id"]), "appeal", purpose)
        if found is None:
            return JSONResponse(status_code=404, content={"detail": "no appeal with this id"})
        return found

"""GET /v1/approvals and POST /v1/applications/{application_id}/approval (approver role; four eyes)."""
from __future__ import annotations

import uuid
from typing import Literal

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse

from contracts.approvals import ApprovalIn, refusals
from services.intake import approvals
from services.intake.answers import SIGNED_IN, FieldError, answers

NOTHING_WAITS = {409: {"description": "nothing of this application awaits approval", "model": list[FieldError]}}


def install(app: FastAPI, ctx) -> None:
    """Routes on the app itself (not an APIRouter), so the role table's test sees them (see recipients_api)."""

    @app.get("/v1/approvals", responses=answers(*SIGNED_IN, 422))
    async def list_approvals(status: Literal["pending", "approved", "refused"] | None = "pending",
                             limit: int = Query(default=approvals.DEFAULT_PAGE, ge=1, le=approvals.MAX_PAGE),
                             after: int | None = Query(default=None, ge=0, description="the previous page's next_after")):
        """Payments above the approval threshold, oldest first: `{"approvals": [{"application_id", "payment_id",
        "total_fen", "threshold_fen", "lines", "requested_at", "status", "decided_by", "decided_at", "note"}],
        "next_after"}`. No personal data (amounts and lines)."""
        async with ctx.pool.acquire() as conn:
            return await approvals.page(conn, status, limit, after)

    @app.post("/v1/applications/{application_id}/approval", responses={**answers(*SIGNED_IN, 404, 422), **NOTHING_WAITS})
    async def decide(application_id: uuid.UUID, body: ApprovalIn, request: Request):
        """Approve (the payment goes to the rail) or refuse (it is cancelled; the application ends with its own
        notice naming the note). 403 `four_eyes` for whoever registered or handled the application; 409 when
        nothing of it awaits approval."""
        problems = refusals(body)
        if problems:
            return JSONResponse(status_code=422, content=problems)
        try:
            async with ctx.pool.acquire() as conn, conn.transaction():
                decided = await approvals.decide(conn, application_id, request.state.principal, body.approve, body.note)
        except approvals.Refused as refused:
            return JSONResponse(status_code=refused.status, content=refused.body)
        ctx.relay.wake()
        return decided

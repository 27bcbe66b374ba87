"""POST /v1/reviews and GET /v1/reviews/{review_id} (contract: DESIGN.md "Caseload and payment runs")."""
from __future__ import annotations

import uuid

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from contracts.reviews import ReviewIn
from services.intake import reviews
from services.intake.answers import SIGNED_IN, Detail, answers

UNKNOWN_REVIEW = {404: {"description": "no review with this id", "model": Detail}}


def install(app: FastAPI, ctx) -> None:
    """Routes on the app itself, as payment_runs_api does: FastAPI keeps an included router's routes out of
    app.routes, where the role table's test looks for every route."""

    @app.post("/v1/reviews", status_code=202,
                 responses={200: {"description": "this as_of was asked for before: the same review"},
                            **answers(*SIGNED_IN, 413, 415, 422)})
    async def request_review(review: ReviewIn, request: Request):
        """The annual review (年审) of every recipient due by `as_of` (enrolled or last reviewed 12 months before),
        re-decided on the registries' facts; outcomes take effect from the period after as_of's month. One review per
        day: asking again answers 200 with it."""
        refused = reviews.refusals(review)
        if refused:
            return JSONResponse(status_code=422, content=refused)
        async with ctx.pool.acquire() as conn, conn.transaction():
            review_id, created = await reviews.request(conn, review, request.state.principal.subject)
        if created:
            ctx.relay.wake()
        return JSONResponse(status_code=202 if created else 200, content={"review_id": str(review_id)})

    @app.get("/v1/reviews/{review_id}", responses={**answers(*SIGNED_IN, 422), **UNKNOWN_REVIEW})
    async def get_review(review_id: uuid.UUID):
        """A review's progress: households reviewed and each outcome's count; `done` when nobody due is left."""
        async with ctx.pool.acquire() as conn:
            found = await reviews.view(conn, review_id)
        return JSONResponse(status_code=404, content={"detail": "no review with this id"}) if found is None else found


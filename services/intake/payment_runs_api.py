"""POST /v1/payment-runs and GET /v1/payment-runs/{run_id} (contract: DESIGN.md "Caseload and payment runs")."""
from __future__ import annotations

import uuid

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from contracts.payment_runs import PaymentRunIn
from services.intake import payment_runs
from services.intake.answers import SIGNED_IN, Detail, answers

UNKNOWN_RUN = {404: {"description": "no payment run with this id", "model": Detail}}


def install(app: FastAPI, ctx) -> None:
    """Routes on the app itself, as login and api_docs install theirs (an included router would sit outside the role
    table's view of app.routes)."""

    @app.post("/v1/payment-runs", status_code=202,
              responses={200: {"description": "this kind and period was asked for before: the same run"},
                         **answers(*SIGNED_IN, 413, 415, 422)})
    async def request_run(run: PaymentRunIn, request: Request):
        """Pay every recipient of the period: `monthly` their monthly amount, `price_subsidy` S x the CPI rise per member
        (when CPI or food CPI reaches the policy's trigger). One run per kind and period: asking again answers 200 with it."""
        refused = payment_runs.refusals(run)
        if refused:
            return JSONResponse(status_code=422, content=refused)
        async with ctx.pool.acquire() as conn, conn.transaction():
            run_id, created = await payment_runs.request(conn, run, request.state.principal.subject)
        if created:
            ctx.relay.wake()
        async with ctx.pool.acquire() as conn:
            found = await payment_runs.view(conn, run_id)
        return JSONResponse(status_code=202 if created else 200, content=found)

    @app.get("/v1/payment-runs/{run_id}", responses={**answers(*SIGNED_IN, 422), **UNKNOWN_RUN})
    async def get_run(run_id: uuid.UUID):
        """A run's progress: households to pay, paid, failed (after the rail's last retry), the total paid; `done` when every
        household is paid or failed."""
        async with ctx.pool.acquire() as conn:
            found = await payment_runs.view(conn, run_id)
        return JSONResponse(status_code=404, content={"detail": "no payment run with this id"}) if found is None else found

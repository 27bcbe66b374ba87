"""The single window's HTTP API (contract: DESIGN.md "HTTP API")."""
from __future__ import annotations

import uuid

from fastapi import FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from opentelemetry import trace

from contracts.application import ApplicationIn
from services.intake import store
from services.intake.errors import field_errors
from services.kit.telemetry import current_trace_id

tracer = trace.get_tracer("jointaid.intake")


def create_app(ctx) -> FastAPI:
    app = FastAPI(title="jointaid", version="1", summary="One application in, every department decides, one payment out.")

    @app.exception_handler(RequestValidationError)
    async def refuse(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content=field_errors(exc))

    @app.post("/v1/applications", status_code=202)
    async def submit(application: ApplicationIn, idempotency_key: str | None = Header(default=None, max_length=200)):
        with tracer.start_as_current_span("intake.submit") as span:
            try:
                async with ctx.pool.acquire() as conn, conn.transaction():
                    application_id, created = await store.submit(conn, application, current_trace_id(), idempotency_key)
            except store.IdempotencyConflict:
                return JSONResponse(status_code=409, content=[{"field": "Idempotency-Key",
                                    "message": "this key was already used with a different body"}])
            span.set_attribute("application_id", str(application_id))
        if created:
            ctx.relay.wake()
        return {"application_id": str(application_id), "status": "submitted"}

    @app.get("/v1/applications/{application_id}")
    async def get_application(application_id: uuid.UUID):
        async with ctx.pool.acquire() as conn:
            found = await store.view(conn, application_id)
        if found is None:
            return JSONResponse(status_code=404, content={"detail": "no application with this id"})
        return found

    @app.get("/healthz")
    async def healthz():
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz():
        try:
            async with ctx.pool.acquire(timeout=2) as conn:
                await conn.fetchval("SELECT 1")
            broker_ok = await ctx.broker.ping(timeout=2)
        except Exception as exc:  # noqa: BLE001 - readiness reports any failure
            return JSONResponse(status_code=503, content={"status": "not ready", "error": type(exc).__name__})
        if not broker_ok:
            return JSONResponse(status_code=503, content={"status": "not ready", "error": "broker unreachable"})
        return {"status": "ready"}

    return app

"""The single window's HTTP API (contract: DESIGN.md "HTTP API")."""
from __future__ import annotations

import json
import uuid
from pathlib import Path

from fastapi import FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from opentelemetry import trace
from prometheus_client import CONTENT_TYPE_LATEST

import contracts
from contracts.application import ApplicationIn
from services.intake import console, limits, store, system_metrics, traces
from services.intake.errors import field_errors
from services.kit.telemetry import current_trace_id

tracer = trace.get_tracer("jointaid.intake")
ASYNCAPI = Path(contracts.__file__).parent / "asyncapi.json"


def not_found() -> JSONResponse:
    return JSONResponse(status_code=404, content={"detail": "no application with this id"})


def create_app(ctx) -> FastAPI:
    app = FastAPI(title="jointaid", version="1", summary="One application in, every department decides, one payment out.")
    limits.install(app)  # body size/depth/content type; database away -> 503
    asyncapi_document = json.loads(ASYNCAPI.read_text(encoding="utf-8"))  # read once, not per request

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
            return not_found()
        return found

    @app.get("/v1/applications/{application_id}/trace")
    async def get_trace(application_id: uuid.UUID):
        """The spans of the application's trace, ordered by start (written by every service, flushed within ~1 s)."""
        async with ctx.pool.acquire() as conn:
            found = await traces.trace_of(conn, application_id)
        if found is None:
            return not_found()
        return found

    @app.get("/metrics", response_class=Response)
    async def metrics():
        """Prometheus text: intake's process metrics plus system figures (docs/observability.md)."""
        return Response(await system_metrics.render(ctx), media_type=CONTENT_TYPE_LATEST)

    @app.get("/docs/asyncapi")
    async def asyncapi():
        """The AsyncAPI 3 document of every event (generated from contracts/)."""
        return JSONResponse(asyncapi_document)

    @app.get("/console", response_class=HTMLResponse, include_in_schema=False)
    async def console_list(status: str | None = Query(default=None, max_length=40), stuck: bool = False,
                           minutes: int = Query(default=console.DEFAULT_STUCK_MINUTES, ge=0, le=100_000)):
        async with ctx.pool.acquire() as conn:
            return HTMLResponse(await console.list_page(conn, status or None, stuck, minutes))

    @app.get("/console/applications/{application_id}", response_class=HTMLResponse, include_in_schema=False)
    async def console_detail(application_id: str):
        try:
            parsed = uuid.UUID(application_id)
        except ValueError:
            return HTMLResponse(console.not_found_page(application_id), status_code=404)
        async with ctx.pool.acquire() as conn:
            html = await console.detail_page(conn, parsed)
        if html is None:
            return HTMLResponse(console.not_found_page(application_id), status_code=404)
        return HTMLResponse(html)

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

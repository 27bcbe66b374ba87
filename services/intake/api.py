"""The single window's HTTP API (contract: DESIGN.md "HTTP API")."""
from __future__ import annotations

import uuid

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from opentelemetry import trace
from prometheus_client import CONTENT_TYPE_LATEST

from contracts.application import ApplicationIn
from services.intake import (access, access_log, api_docs, console, limits, login, openapi, registry_records, store, system_metrics,
                             throttle, tokens, traces)
from services.intake import payment_runs_api
from services.intake import reviews_api
from services.intake import recipients_api
from services.intake import json_lines, leads_api, signals_api
from contracts.registry import read_record
from services.intake import advance_request, approvals_api
from services.intake import appeals_api
from services.intake import citizen_access_log, console_overview, pages, workbench_api
from services.intake.answers import DATABASE, SIGNED_IN, answers
from contracts.refusals import field_errors
from services.kit.telemetry import current_trace_id

tracer = trace.get_tracer("jointaid.intake")
UNLIMITED_ROLES = ("caseworker", "department", "operator")  # batch clients and benchmarks submit with these
PURPOSE = Query(default=None, max_length=200, description="why the data is read; written to the access log")


def not_found() -> JSONResponse:
    return JSONResponse(status_code=404, content={"detail": "no application with this id"})


def verifier_of(settings) -> tokens.Verifier:
    if not settings.keys_dir:
        raise SystemExit("intake needs JOINTAID_KEYS_DIR: the folder of its token key pair (created there if missing)")
    tokens.ensure_keys(settings.keys_dir)
    key = tokens.load_signing_key(settings.keys_dir)
    return tokens.Verifier(key.public, key.kid, settings.token_audience, settings.jwks_url, settings.oidc_issuer)


# One server span per request is what a trace needs. FastAPI's spans per dependency, endpoint and
# serialization cost more than the request's own work at our rates; its OTel metrics duplicate our
# Prometheus ones; its OTel logs would carry exception messages, which may hold personal data.
HTTP_TELEMETRY = {"operation_spans": False, "metrics": False, "logs": False}


def create_app(ctx) -> FastAPI:
    verifier = verifier_of(ctx.settings)
    signing_key = tokens.load_signing_key(ctx.settings.keys_dir)
    app = FastAPI(title="jointaid", version="1", summary="One application in, every department decides, one payment out.",
                  description="The events departments integrate through: [AsyncAPI page](/docs/asyncapi.html), "
                              "[AsyncAPI document](/docs/asyncapi), JSON Schemas under /docs/schemas/.",
                  dependencies=[Depends(access.make_authorize(verifier))],
                  telemetry=HTTP_TELEMETRY)
    app.add_exception_handler(access.Refusal, access.refused)
    limits.install(app)  # body size/depth/content type; database away -> 503
    login.install(app, verifier)
    openapi.install(app)  # security per operation, from the role table
    api_docs.install(app)  # /docs/asyncapi, /docs/asyncapi.html, /docs/schemas/{name}

    @app.exception_handler(RequestValidationError)
    async def refuse(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content=field_errors(exc))

    @app.post("/v1/applications", status_code=202, responses=answers(401, 403, 409, 413, 415, 422, 429, *DATABASE))
    async def submit(application: ApplicationIn, request: Request,
                     idempotency_key: str | None = Header(default=None, max_length=200)):
        """Apply once. Anonymous submissions are rate-limited; a caseworker's token records who registered it.
        The answer's `access_token` lets the citizen read (and later appeal) this one application for 180 days."""
        registrar = request.state.principal
        if (refused := advance_request.refusal(application, registrar)) is not None:
            return JSONResponse(status_code=403, content=refused)  # only a caseworker marks urgent
        with tracer.start_as_current_span("intake.submit") as span:
            if registrar is None or registrar.role not in UNLIMITED_ROLES:
                refused = await rate_limited(request, application.applicant_id_number)
                if refused is not None:
                    return refused
            handed: list = []  # the events, published from memory once committed (the relay's hand-off)
            try:
                async with ctx.pool.acquire() as conn:  # one statement (atomic) unless urgent: store.submit
                    application_id, created, submitted_at = await store.submit(conn, application, current_trace_id(), idempotency_key,
                                                                 registrar if registrar and registrar.role != "citizen" else None,
                                                                 handed)
            except store.IdempotencyConflict:
                return JSONResponse(status_code=409, content=[{"field": "Idempotency-Key",
                                    "message": "this key was already used with a different body"}])
            span.set_attribute("application_id", str(application_id))
        if created:
            ctx.relay.hand(*handed[0])
        return {"application_id": str(application_id), "status": "submitted",
                "access_token": tokens.citizen_token(signing_key, application_id, submitted_at.timestamp(),
                                                     ctx.settings.token_audience)}

    async def rate_limited(request: Request, id_number: str) -> JSONResponse | None:
        address_limit, address_window = ctx.settings.submit_limit_address
        applicant_limit, applicant_window = ctx.settings.submit_limit_applicant
        async with ctx.pool.acquire() as conn, conn.transaction():
            refused = await throttle.over_limit(conn, [
                (throttle.address_bucket(request.client and request.client.host), address_limit, address_window),
                (throttle.applicant_bucket(id_number), applicant_limit, applicant_window),
            ])
        if refused is None:
            return None
        bucket, retry_after = refused
        field, message = (("applicant_id_number", f"at most {applicant_limit} submissions for one applicant per "
                           f"{applicant_window} s without a caseworker") if bucket.startswith("applicant:") else
                          ("client", f"at most {address_limit} submissions from one address per {address_window} s"))
        return JSONResponse(status_code=429, content=[{"field": field, "message": f"too many submissions: {message}; "
                            f"try again in {retry_after} s"}], headers={"Retry-After": str(retry_after)})

    @app.get("/v1/applications/{application_id}", responses=answers(*SIGNED_IN, 404, 422))
    async def get_application(application_id: uuid.UUID, request: Request, purpose: str | None = PURPOSE):
        async with ctx.pool.acquire() as conn, conn.transaction():
            found = await store.view(conn, application_id)
            if found is not None:
                await access_log.record(conn, request.state.principal, application_id, "application", purpose)
        return not_found() if found is None else found

    @app.get("/v1/applications/{application_id}/trace", responses=answers(*SIGNED_IN, 404, 422))
    async def get_trace(application_id: uuid.UUID, request: Request, purpose: str | None = PURPOSE):
        """The spans of the application's trace, ordered by start (written by every service, flushed within ~1 s)."""
        async with ctx.pool.acquire() as conn, conn.transaction():
            found = await traces.trace_of(conn, application_id)
            if found is not None:
                await access_log.record(conn, request.state.principal, application_id, "trace", purpose)
        return not_found() if found is None else found

    @app.get("/v1/access-log", responses=answers(*SIGNED_IN, 422))
    async def get_access_log(limit: int = Query(default=100, ge=1, le=access_log.MAX_PAGE),
                             after: int | None = Query(default=None, ge=0),
                             application_id: uuid.UUID | None = None):
        """Every read of an application's personal data, oldest first; continue with `after=next_after`."""
        async with ctx.pool.acquire() as conn:
            return await access_log.page(conn, limit=limit, after=after, application_id=application_id)

    @app.post("/v1/registry/records", status_code=202, responses=answers(*SIGNED_IN, 413, 415, 422),
              openapi_extra={"requestBody": {"required": True, "content": {"application/x-ndjson": {
                  "schema": {"type": "string", "description": "one RegistryRecord (JSON Schema: RegistryRecord) per line"}}}}})
    async def post_registry_records(request: Request):
        """Registry lines from a department (JSON lines, one person a line, at most 10,000). The good lines go to the
        registries; each bad one is listed with its line number and rule. All lines bad: 422."""
        found = await json_lines.accepted_lines(request, read_record, "registry lines", "`jointaid registry import`")
        if isinstance(found, JSONResponse):
            return found
        records, refusals, read = found
        async with ctx.pool.acquire() as conn, conn.transaction():
            batch_id = await registry_records.send(conn, records)
        ctx.relay.wake()
        return {"batch_id": str(batch_id), "read": read, "accepted": len(records), "refused": refusals}

    payment_runs_api.install(app, ctx)
    reviews_api.install(app, ctx)  # POST /v1/reviews, GET /v1/reviews/{review_id}
    recipients_api.install(app, ctx)  # GET /v1/recipients, /v1/recipients/{recipient_id}
    approvals_api.install(app, ctx)  # GET /v1/approvals, POST /v1/applications/{application_id}/approval
    appeals_api.install(app, ctx)  # POST /v1/applications/{application_id}/appeals, GET /v1/appeals/{appeal_id}
    signals_api.install(app, ctx)  # POST /v1/signals
    leads_api.install(app, ctx)  # GET /v1/leads, /v1/leads/{lead_id}, POST /v1/leads/{lead_id}/consent
    citizen_access_log.install(app, ctx)  # GET /v1/applications/{application_id}/access-log
    workbench_api.install(app, ctx)  # GET /v1/appeals, GET /v1/payment-runs
    pages.install(app)  # /, /pages/{name}, /workbench

    @app.get("/metrics", response_class=Response, responses=answers(401, 403))
    async def metrics():
        """Prometheus text: intake's process metrics plus system figures (docs/observability.md)."""
        return Response(await system_metrics.render(ctx), media_type=CONTENT_TYPE_LATEST)

    @app.get("/console", response_class=HTMLResponse, include_in_schema=False)
    async def console_list(status: str | None = Query(default=None, max_length=40), stuck: bool = False,
                           minutes: int = Query(default=console.DEFAULT_STUCK_MINUTES, ge=0, le=100_000)):
        async with ctx.pool.acquire() as conn:
            return HTMLResponse(await console.list_page(conn, status or None, stuck, minutes,
                                                        await console_overview.section(conn, ctx.settings)))

    @app.get("/console/applications/{application_id}", response_class=HTMLResponse, include_in_schema=False)
    async def console_detail(application_id: str, request: Request, purpose: str | None = PURPOSE):
        try:
            parsed = uuid.UUID(application_id)
        except ValueError:
            return HTMLResponse(console.not_found_page(application_id), status_code=404)
        async with ctx.pool.acquire() as conn, conn.transaction():
            html = await console.detail_page(conn, parsed)
            if html is not None:
                await access_log.record(conn, request.state.principal, parsed, "console page", purpose)
        if html is None:
            return HTMLResponse(console.not_found_page(application_id), status_code=404)
        return HTMLResponse(html)

    @app.get("/healthz")
    async def healthz():
        return {"status": "ok"}

    @app.get("/readyz", responses={503: {"description": "the database or the broker does not answer"}})
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

"""GET /v1/leads, GET /v1/leads/{lead_id}, POST /v1/leads/{lead_id}/consent (contract: DESIGN.md "Leads")."""
from __future__ import annotations

import uuid

import asyncpg
from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse

from contracts.lead_consent import LeadConsentIn
from contracts.signals import SignalKind
from services.intake import access_log, lead_consent, leads, recipients, tokens
from services.intake.answers import SIGNED_IN, Detail, FieldError, answers
from services.kit.telemetry import current_trace_id

UNKNOWN = {404: {"description": "no lead with this id", "model": Detail}}
CONSENT_ANSWERS = {
    **answers(*SIGNED_IN, 413, 415, 422),
    200: {"description": "consent refused: recorded, the lead closes, nothing more is looked up"},
    404: {"description": "no lead with this id (the rule in words)", "model": list[FieldError]},
    409: {"description": "the lead is closed, or its consent was recorded already", "model": list[FieldError]},
}
NOT_SET_UP = {"detail": "leads are not set up yet (discovery's migrations have not run); try again shortly"}
PURPOSE = Query(default=None, max_length=200, description="why the data is read; written to the access log")


def install(app: FastAPI, ctx) -> None:
    """Routes on the app itself, as recipients_api does (the role table's test sees every route)."""
    signing_key = tokens.load_signing_key(ctx.settings.keys_dir)

    @app.get("/v1/leads", responses=answers(*SIGNED_IN, 422))
    async def list_leads(request: Request, status: str | None = Query(default=None, pattern="^(open|closed)$"),
                         rule: SignalKind | None = Query(default=None, description="leads on which this rule fired"),
                         region: str | None = Query(default=None, pattern=r"^[0-9]{6}$", description="region code"),
                         limit: int = Query(default=recipients.DEFAULT_PAGE, ge=1, le=recipients.MAX_PAGE),
                         after: uuid.UUID | None = Query(default=None, description="the last lead_id of the previous page"),
                         purpose: str | None = PURPOSE):
        """Leads oldest first: `{"lead_id", "status": "open" | "closed", "outcome", "household": {"person_id_number"
        (masked), "members"}, "region_code", "rules": [{"rule", "figures", "figures_zh"}], "raised_at", "closed_at",
        "application_id"}`; continue with `after=next_after`. Every lead listed is written to the access log."""
        try:
            async with ctx.pool.acquire() as conn, conn.transaction():
                found = await leads.page(conn, status=status, rule=rule and rule.value, region=region, after=after,
                                         limit=limit)
                ids = [uuid.UUID(lead["lead_id"]) for lead in found["leads"]]
                if ids:
                    await access_log.record_all(conn, request.state.principal, ids, "lead list", purpose)
        except asyncpg.UndefinedTableError:
            return JSONResponse(status_code=503, content=NOT_SET_UP)
        return found

    @app.get("/v1/leads/{lead_id}", responses={**answers(*SIGNED_IN, 422), **UNKNOWN})
    async def get_lead(lead_id: uuid.UUID, request: Request, purpose: str | None = PURPOSE):
        """One lead: as listed, with every member's ID number masked and the consent record (`null` until the
        household answered: `{"given", "channel", "at", "recorded_by", "recorded_at"}`)."""
        try:
            async with ctx.pool.acquire() as conn, conn.transaction():
                found = await leads.one(conn, lead_id)
                if found is not None:
                    await access_log.record(conn, request.state.principal, lead_id, "lead", purpose)
        except asyncpg.UndefinedTableError:
            return JSONResponse(status_code=503, content=NOT_SET_UP)
        if found is None:
            return JSONResponse(status_code=404, content={"detail": "no lead with this id"})
        return found

    @app.post("/v1/leads/{lead_id}/consent", status_code=201, responses=CONSENT_ANSWERS)
    async def post_consent(lead_id: uuid.UUID, consent: LeadConsentIn, request: Request):
        """The household's answer, recorded by the caseworker who asked. `{"given", "channel", "at", "phone"?,
        "payout_account"?}` and, as the registries hold no names or ties, `"applicant_id_number"?` (default: the
        person the lead names), `"applicant_name"?`, `"names"?: [{"id_number", "name"}]` (unnamed members: 待核实),
        `"has_supporter"?` (default false).
        Given (phone and payout_account required) → 201 `{"lead_id", "given", "application_id", "access_token",
        "status": "submitted"}`: an application prefilled from the registries (members, incomes, disability grades,
        assets, vehicles, hukou) and the lead's medical bills, registered by this caseworker, on its way through the
        whole chain; a prefilled application the contract refuses → 422 listing why, nothing stored.
        Refused → 200 with `"status": "consent_refused"`: the lead closes, nothing more is looked up.
        Unknown lead → 404; a closed lead, or a second answer → 409."""
        try:
            async with ctx.pool.acquire() as conn, conn.transaction():
                done = await lead_consent.record(conn, lead_id, consent, request.state.principal, current_trace_id())
        except lead_consent.Refused as refused:
            return JSONResponse(status_code=refused.status, content=refused.problems)
        except asyncpg.UndefinedTableError:
            return JSONResponse(status_code=503, content=NOT_SET_UP)
        ctx.relay.wake()
        if done.application_id is None:
            return JSONResponse(status_code=200, content={"lead_id": str(lead_id), "given": False, "application_id": None,
                                                          "access_token": None, "status": "consent_refused"})
        return {"lead_id": str(lead_id), "given": True, "application_id": str(done.application_id),
                "access_token": tokens.citizen_token(signing_key, done.application_id, done.submitted_at.timestamp(),
                                                     ctx.settings.token_audience),
                "status": "submitted"}

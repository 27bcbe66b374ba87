"""Who may call which route: the role table, in one place, and the check that applies it to every request.

`ROUTE_ACCESS` maps each (method, route path) to the roles that may call it and how far: `ANY` (every
application) or `OWN` (a citizen token, only the application it names). `PUBLIC` routes need no token.
A route missing from the table is refused to everyone (fail closed; a test checks every route is here).

Documentation (/docs, the OpenAPI and AsyncAPI documents) is public on purpose: it describes the
interface, holds no personal data, and integrators' tools fetch it without credentials.
"""
from __future__ import annotations

import uuid
from typing import Literal
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse

from services.intake.tokens import Principal, TokenRefused, Verifier
from services.kit.metrics import AUTH_REFUSALS

Reach = Literal["any", "own"]
ANY: Reach = "any"
OWN: Reach = "own"
PUBLIC = None
COOKIE = "jointaid_token"
LOGIN_PATH = "/console/login"
TOKEN_QUERY_NAMES = ("access_token", "token", "jwt", "bearer")

ROUTE_ACCESS: dict[tuple[str, str], dict[str, Reach] | None] = {
    # the single window: anyone may apply; a staff token records who registered the application
    ("POST", "/v1/applications"): PUBLIC,
    ("GET", "/v1/applications/{application_id}"): {"operator": ANY, "caseworker": ANY, "citizen": OWN},
    ("GET", "/v1/applications/{application_id}/trace"): {"operator": ANY, "caseworker": ANY},
    ("GET", "/v1/access-log"): {"operator": ANY},
    ("POST", "/v1/registry/records"): {"department": ANY},
    ("POST", "/v1/signals"): {"department": ANY},
    # leads point to a household (masked ID numbers): the staff who contact it; consent is recorded by a caseworker
    ("GET", "/v1/leads"): {"operator": ANY, "caseworker": ANY},
    ("GET", "/v1/leads/{lead_id}"): {"operator": ANY, "caseworker": ANY},
    ("POST", "/v1/leads/{lead_id}/consent"): {"caseworker": ANY},
    ("POST", "/v1/payment-runs"): {"operator": ANY},
    ("GET", "/v1/payment-runs/{run_id}"): {"operator": ANY, "caseworker": ANY},
    ("POST", "/v1/reviews"): {"operator": ANY},
    ("GET", "/v1/reviews/{review_id}"): {"operator": ANY, "caseworker": ANY},
    ("GET", "/v1/recipients"): {"operator": ANY, "caseworker": ANY},
    ("GET", "/v1/recipients/{recipient_id}"): {"operator": ANY, "caseworker": ANY},
    ("GET", "/v1/approvals"): {"approver": ANY, "operator": ANY},
    ("POST", "/v1/applications/{application_id}/approval"): {"approver": ANY},
    ("POST", "/v1/applications/{application_id}/appeals"): {"caseworker": ANY, "citizen": OWN},
    ("GET", "/v1/appeals/{appeal_id}"): {"operator": ANY, "caseworker": ANY, "citizen": OWN},
    # the pages (services/intake/pages.py): the citizen page holds no data (its API calls carry the citizen's token)
    ("GET", "/v1/applications/{application_id}/access-log"): {"operator": ANY, "caseworker": ANY, "citizen": OWN},
    ("GET", "/v1/appeals"): {"operator": ANY, "caseworker": ANY},
    ("GET", "/v1/payment-runs"): {"operator": ANY, "caseworker": ANY},
    ("GET", "/"): PUBLIC,
    ("GET", "/pages/{name}"): PUBLIC,
    ("GET", "/workbench"): {"caseworker": ANY, "approver": ANY, "operator": ANY},
    ("GET", "/metrics"): {"operator": ANY},
    ("GET", "/console"): {"operator": ANY},
    ("GET", "/console/applications/{application_id}"): {"operator": ANY},
    ("GET", LOGIN_PATH): PUBLIC,
    ("POST", LOGIN_PATH): PUBLIC,
    ("POST", "/console/logout"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/docs/asyncapi"): PUBLIC,
    ("GET", "/docs/asyncapi.html"): PUBLIC,
    ("GET", "/docs/schemas/{name}"): PUBLIC,
}
# Pages answer a missing or bad token with the login page instead of a 401 body.
PAGE_PREFIXES = ("/console", "/workbench")


class Refusal(Exception):
    """401 (who are you?) or 403 (not you), with the rule in words; `reason` labels the metric."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message


def allowed(route: tuple[str, str], principal: Principal | None, application_id: str | None) -> None:
    """Raise Refusal unless this principal may call this route (for this application). Pure: the table's meaning."""
    if route not in ROUTE_ACCESS:
        raise Refusal(403, "unlisted", "this route is not in the role table, so nobody may call it")
    roles = ROUTE_ACCESS[route]
    if roles is PUBLIC:
        return
    if principal is None:
        raise Refusal(401, "missing", "this needs a token: send Authorization: Bearer <token>")
    reach = roles.get(principal.role)
    if reach is None:
        may = ", ".join(sorted(roles))
        raise Refusal(403, "role", f"the {principal.role} role may not call this (allowed: {may})")
    if reach == OWN and (application_id is None or _uuid(application_id) != principal.application_id):
        raise Refusal(403, "scope", "this token is for another application")


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def presented_token(request: Request, *, cookie: bool) -> str | None:
    """The bearer token from the Authorization header (or the pages' cookie); never from the URL."""
    if any(name in request.query_params for name in TOKEN_QUERY_NAMES):
        raise Refusal(401, "token_in_url", "tokens in the URL are refused (URLs end up in logs): use the Authorization header")
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Refusal(401, "scheme", "the Authorization header must be 'Bearer <token>'")
        return token.strip()
    return request.cookies.get(COOKIE) if cookie else None


def make_authorize(verifier: Verifier):
    """The app-wide dependency: who is calling, and may they call this route? Sets request.state.principal."""

    async def authorize(request: Request) -> None:
        route = request.scope["route"]
        key = (request.method, route.path)
        public = ROUTE_ACCESS.get(key, {}) is PUBLIC
        principal = None
        try:
            # a public route looks at the header only: a stale cookie must not lock anyone out of the login page
            token = presented_token(request, cookie=not public)
            if token is not None:
                principal = await verifier.verify(token)
            allowed(key, principal, await scope_of(request, principal))
        except TokenRefused as exc:
            raise Refusal(401, exc.reason, str(exc)) from None
        request.state.principal = principal

    return authorize


async def scope_of(request: Request, principal: Principal | None) -> str | None:
    """The application a request is about: its path's application_id or, for a citizen's call on a record of its
    own (an appeal), the application of that record, through the lookup its module put in app.state.scope_lookups."""
    application_id = request.path_params.get("application_id")
    if application_id is not None or principal is None or principal.role != "citizen":
        return application_id
    for name, lookup in getattr(request.app.state, "scope_lookups", {}).items():
        if name in request.path_params:
            found = await lookup(request.path_params[name])
            return None if found is None else str(found)
    return None


async def refused(request: Request, exc: Refusal):
    """Refusal -> 401/403 with the rule; pages send a caller without a valid token to the login page."""
    AUTH_REFUSALS.labels(exc.reason).inc()
    if exc.status == 401 and request.url.path.startswith(PAGE_PREFIXES) and request.url.path != LOGIN_PATH:
        return RedirectResponse(f"{LOGIN_PATH}?next={quote(request.url.path)}", status_code=303)
    headers = {"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{exc.reason}"'} if exc.status == 401 else {}
    return JSONResponse(status_code=exc.status, content=[{"field": "Authorization", "message": exc.message}], headers=headers)

"""The pages' login: paste a token once, keep it as an HttpOnly, SameSite=Strict cookie.

No JavaScript can read the cookie (HttpOnly) and no other site can make the browser send it (Strict),
so a page session is no weaker than the bearer header the API takes. Tokens are staff tokens; the
login refuses citizen tokens (citizens follow their application on the citizen page).
"""
from __future__ import annotations

import time
from html import escape
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from services.intake import console
from services.intake.access import COOKIE, LOGIN_PATH
from services.intake.tokens import TokenRefused, Verifier

MAX_FORM_BYTES = 16_384


def safe_next(target: str | None) -> str:
    """Only a path on this site (no //host, no scheme): the login must not become an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/console"
    return target


def form(next_path: str, error: str | None = None) -> str:
    problem = f'<p role="alert" class="denied">{escape(error)}</p>' if error else ""
    return console.page("Sign in", f"""<h1>Sign in</h1>{problem}
<form method="post" action="{LOGIN_PATH}">
  <p><label for="token">Your access token (from your identity provider or <code>jointaid token</code>)</label></p>
  <p><textarea id="token" name="token" rows="5" cols="80" required autocomplete="off" spellcheck="false"></textarea></p>
  <input type="hidden" name="next" value="{escape(next_path)}">
  <p><button type="submit">Sign in</button></p>
</form>""")


def install(app: FastAPI, verifier: Verifier) -> None:
    @app.get(LOGIN_PATH, response_class=HTMLResponse, include_in_schema=False)
    async def login_page(next: str | None = None):
        return HTMLResponse(form(safe_next(next)))

    @app.post(LOGIN_PATH, include_in_schema=False)
    async def login(request: Request):
        fields = parse_qs((await request.body())[:MAX_FORM_BYTES].decode("utf-8", "replace"))
        token = (fields.get("token") or [""])[0].strip()
        target = safe_next((fields.get("next") or [None])[0])
        try:
            principal = await verifier.verify(token)
        except TokenRefused as exc:
            return HTMLResponse(form(target, f"Not signed in: {exc}"), status_code=401)
        if principal.role == "citizen":
            return HTMLResponse(form(target, "Not signed in: citizen tokens open the citizen page, not these pages"), status_code=403)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(COOKIE, token, max_age=max(0, int(principal.expires_at - time.time())), path="/", httponly=True,
                            samesite="strict", secure=request.url.scheme == "https")
        return response

    @app.post("/console/logout", include_in_schema=False)
    async def logout():
        response = RedirectResponse(LOGIN_PATH, status_code=303)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return response

"""The citizen page (`/`) and the workbench (`/workbench`): static files served by intake, no build step.

`/` and `/pages/{name}` need no token (the role table lists them PUBLIC): they hold no data, only the page and its
scripts; the data comes from the API with the citizen's own token, which the page keeps in the URL fragment and
sends in the Authorization header only. `/workbench` takes the login's cookie like /console (caseworker, approver,
operator). Every page answer carries a strict Content-Security-Policy: scripts and styles from this site only, no
inline script, no framing, no referrer (a page URL never leaks anywhere).
"""
from __future__ import annotations

from html import escape
from pathlib import Path
from string import Template

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

FOLDER = Path(__file__).parent / "pages"
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".html": "text/html; charset=utf-8"}
ASSETS = {path.name: (path.read_bytes(), TYPES[path.suffix]) for path in sorted(FOLDER.iterdir()) if path.suffix in (".js", ".css")}
INDEX = (FOLDER / "index.html").read_bytes()
WORKBENCH = Template((FOLDER / "workbench.html").read_text(encoding="utf-8"))
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


def workbench_page(role: str, subject: str) -> str:
    """The workbench for this staff member: the page's script reads the role to show their sections."""
    return WORKBENCH.substitute(role=escape(role), subject=escape(subject))


def install(app: FastAPI) -> None:
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def citizen_page():
        return Response(INDEX, media_type=TYPES[".html"], headers=HEADERS)

    @app.get("/pages/{name}", include_in_schema=False)
    async def page_asset(name: str):
        found = ASSETS.get(name)
        if found is None:
            return JSONResponse(status_code=404, content={"detail": "no such file"}, headers=HEADERS)
        return Response(found[0], media_type=found[1], headers=HEADERS)

    @app.get("/workbench", response_class=HTMLResponse, include_in_schema=False)
    async def workbench(request: Request):
        principal = request.state.principal
        return HTMLResponse(workbench_page(principal.role, principal.subject), headers=HEADERS)

"""The event contracts over HTTP: the AsyncAPI document, the JSON Schemas it points to, and a page for people.

GET {base}/asyncapi          contracts/asyncapi.json, byte for byte
GET {base}/schemas/{name}    contracts/schemas/<name>, for the document's `./schemas/<name>` refs
GET {base}/asyncapi.html     the same document rendered as HTML (services/intake/asyncapi_page.py)

The document's payload refs are relative (`./schemas/X.json`), so they hold both on disk
(contracts/asyncapi.json beside contracts/schemas/) and over HTTP ({base}/asyncapi ->
{base}/schemas/X.json). Refs inside the schemas are `#/$defs/...`, which stay in the same file.
Everything is read once at install time; a request only picks from what was read.
"""
from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse, Response

import contracts
from services.intake import asyncapi_page

CONTRACTS_DIR = Path(contracts.__file__).parent
ASYNCAPI_FILE = CONTRACTS_DIR / "asyncapi.json"
SCHEMAS_DIR = CONTRACTS_DIR / "schemas"


def read_schemas(directory: Path = SCHEMAS_DIR) -> dict[str, bytes]:
    """File name -> bytes of every JSON Schema in the folder; the names are the only ones ever served."""
    files = {path.name: path.read_bytes() for path in sorted(directory.glob("*.json")) if path.is_file()}
    for content in files.values():
        json.loads(content)  # refuse to start on a broken file rather than serve it
    return files


def install(app: FastAPI, base_path: str = "/docs") -> None:
    document_bytes = ASYNCAPI_FILE.read_bytes()
    document = json.loads(document_bytes)
    schema_files = read_schemas(SCHEMAS_DIR)
    page = asyncapi_page.render(document, {name: json.loads(content) for name, content in schema_files.items()})
    # the JSON document cannot carry a link to its page without changing the generated file
    to_page = {"Link": '<asyncapi.html>; rel="alternate"; type="text/html"'}

    @app.get(f"{base_path}/asyncapi", include_in_schema=False)
    async def asyncapi_document() -> Response:
        """The AsyncAPI 3 document of every event (generated from contracts/)."""
        return Response(document_bytes, media_type="application/json", headers=to_page)

    @app.get(f"{base_path}/asyncapi.html", include_in_schema=False)
    async def asyncapi_html() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get(f"{base_path}/schemas/{{name}}", include_in_schema=False)
    async def json_schema(name: str) -> Response:
        content = schema_files.get(name)  # a lookup in a fixed set: `..`, slashes and the like never reach the disk
        if content is None:
            return JSONResponse(status_code=404, content={"detail": "no such schema"})
        return Response(content, media_type="application/json")

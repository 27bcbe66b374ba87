"""JSON lines posted by a department (registry records, monitoring signals): the content type, the line limit,
each line checked by its contract's reader, and the answer when nothing is left to send.

Shared by POST /v1/registry/records and POST /v1/signals, so both refuse the same way: a bad line is listed
with its number and rule (never its content) and the rest still goes; all lines bad → 422.
"""
from __future__ import annotations

from typing import Callable

from fastapi import Request
from fastapi.responses import JSONResponse

from contracts.registry import Refusal

MAX_LINES = 10_000
CONTENT_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines")


def read_lines(body: bytes, reader: Callable[[bytes, int], object]) -> tuple[list, list[dict], int]:
    """(what the reader accepted, refusals as {"line", "field", "message"}, lines read); blank lines are skipped."""
    accepted, refusals, read = [], [], 0
    for number, raw in enumerate(body.splitlines(), start=1):
        if not raw.strip():
            continue
        read += 1
        found = reader(raw, number)
        if type(found) is Refusal:
            refusals.append({"line": found.line, "field": found.field or "line", "message": found.message})
        else:
            accepted.append(found)
    return accepted, refusals, read


async def accepted_lines(request: Request, reader: Callable[[bytes, int], object], what: str,
                         bulk_hint: str) -> tuple[list, list[dict], int] | JSONResponse:
    """The request's good lines, refusals and lines read; or the 415/422 answer when nothing can be sent.
    `what` names a line in words ("registry lines"), `bulk_hint` where files go instead."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() not in CONTENT_TYPES:
        return JSONResponse(status_code=415, content=[{"field": "Content-Type", "message":
                            "send JSON lines with Content-Type: application/x-ndjson"}])
    accepted, refusals, read = read_lines(await request.body(), reader)
    if read > MAX_LINES:
        return JSONResponse(status_code=422, content=[{"field": "body", "message":
                            f"at most {MAX_LINES:,} lines per request; use {bulk_hint} for files"}])
    if not accepted:
        problems = [{"field": f"line {r['line']}: {r['field']}", "message": r["message"]} for r in refusals]
        return JSONResponse(status_code=422, content=problems or [{"field": "body", "message": f"no {what}"}])
    return accepted, refusals, read


def ndjson_body(schema_name: str) -> dict:
    """openapi_extra for a JSON-lines request body."""
    return {"requestBody": {"required": True, "content": {"application/x-ndjson": {
        "schema": {"type": "string", "description": f"one {schema_name} per line"}}}}}

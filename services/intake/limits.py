"""Hostile input at intake's edge: body size, JSON depth, content type, and a database that is away.

`BodyLimits` is a pure ASGI middleware, so it acts before FastAPI reads anything:

* size: a ``Content-Length`` above `MAX_BODY_BYTES` is refused with 413 before one byte of
  the body is read; a body without ``Content-Length`` (chunked) is counted while it streams
  and refused the moment the count passes the limit. Nothing is buffered here: chunks pass
  straight through to the app as it reads them.
* depth: JSON bodies are scanned chunk by chunk for bracket depth (brackets inside strings do
  not count) and refused with 422 as soon as the depth passes `MAX_JSON_DEPTH`, so Python's
  recursive JSON parser never sees a deeply nested document (it would stop at its recursion
  limit with a RecursionError, which FastAPI turns into an unhelpful 400). The scan is exact for
  UTF-8 because no byte of a multi-byte UTF-8 character is ASCII; UTF-16/32 JSON (which
  ``json.loads`` would also accept) could hide brackets from it, so a body holding a NUL byte -
  every UTF-16/32 JSON text does, a UTF-8 JSON text never may (RFC 8259 §7, §8.1) - is refused
  as malformed.
  Invalid UTF-8 is refused here too (json.loads would raise UnicodeDecodeError, a bare 400).
* content type: a body sent as anything but JSON (text/plain, form data) is refused with 415
  instead of FastAPI's misleading "the request body must be a JSON object".

Refusals are the usual list of ``{"field", "message"}``. When the refusal happens while the
app is reading the body, the app sees an exception from ``receive`` and whatever response it
then tries to send is replaced by the refusal.

`install` also maps
* the database's connection errors (services.kit.db.CONNECTION_ERRORS) to 503 with ``Retry-After``;
* FastAPI's bare 400 "There was an error parsing the body" (json.loads raising something other than
  JSONDecodeError, e.g. a number of more than 4300 digits) to the usual 422 list;
* PostgreSQL refusing ``\\u0000`` in jsonb (the contract lets a NUL through in names) to 422,
  instead of a 500.
"""
from __future__ import annotations

import codecs
import re
from itertools import accumulate

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.kit.db import CONNECTION_ERRORS

# The largest valid application (20 members with 20 diagnoses of 40 letters each, 50 bills, every
# string at its maximum length, names \u-escaped) is 37 KB as compact JSON and 54 KB indented by 4
# (tests/e2e/test_hostile_input.py builds it): 1 MiB is a 19-fold margin, and bounds what one request
# can make intake read, parse and validate.
MAX_BODY_BYTES = 1024 * 1024
# A valid application nests 5 deep ({household{members[{diagnoses[...); 32 is far from both.
MAX_JSON_DEPTH = 32
RETRY_AFTER_SECONDS = 5
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# JSON, and JSON lines (registry records); the depth scan holds for both: a line break is outside every bracket
JSON_TYPES = frozenset({"application/json", "application/x-ndjson", "application/jsonl", "application/json-lines"})
FORM_PATHS = frozenset({"/console/login"})  # the pages' login form posts a token as a plain HTML form
# A JSON string from its opening quote to its closing one, or to the end of the chunk (group 1 is then
# empty). It matches at every opening quote, so no quote is ever retried: linear, however hostile.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*+("?)', re.DOTALL)
_STRING_REST = re.compile(rb'(?:[^"\\]|\\.)*+', re.DOTALL)  # the rest of a string, up to its closing quote
_QUOTE = ord('"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DELTA = tuple(1 if b in b"[{" else -1 if b in b"]}" else 0 for b in range(256))


def _refusal(status: int, field: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content=[{"field": field, "message": message}])


def too_large() -> JSONResponse:
    return _refusal(413, "body", f"the request body is too large: at most {MAX_BODY_BYTES:,} bytes (1 MiB)")


def too_deep() -> JSONResponse:
    return _refusal(422, "body", f"JSON nested too deeply: at most {MAX_JSON_DEPTH} levels of [ ] and {{ }}")


def not_utf8() -> JSONResponse:
    return _refusal(422, "body", "malformed JSON: the body must be UTF-8 text (without NUL bytes)")


def not_json() -> JSONResponse:
    return _refusal(415, "Content-Type", "the request body must be JSON, sent with Content-Type: application/json")


def is_json_type(content_type: str | None) -> bool:
    """application/json or application/*+json (parameters such as charset ignored)."""
    if content_type is None:
        return False
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind in JSON_TYPES or (kind.startswith("application/") and kind.endswith("+json"))


class DepthScanner:
    """Bracket depth of a JSON text fed in chunks; brackets inside strings do not count.

    Every loop runs in C (re.sub, bytes.translate, map/accumulate): a hostile 1 MiB body of
    ``[[],[],...`` costs tens of milliseconds, not the half second a byte-by-byte Python loop took.
    On a valid prefix of JSON the state matches the parser's; past the first invalid byte the
    parser fails without recursing further, so the scan need not be exact there.
    """

    __slots__ = ("limit", "depth", "in_string", "pending")

    def __init__(self, limit: int = MAX_JSON_DEPTH) -> None:
        self.limit = limit
        self.depth = 0
        self.in_string = False
        self.pending = b""  # a backslash that ended the last chunk inside a string: it escapes the next byte

    def feed(self, chunk: bytes) -> bool:
        """False as soon as the depth passes the limit."""
        data, self.pending = self.pending + chunk, b""
        if self.in_string:  # finish the string the last chunk ended in
            end = _STRING_REST.match(data).end()
            if end == len(data) or data[end] != _QUOTE:
                self.pending = data[end:]  # b"" or an unpaired trailing backslash
                return True
            data, self.in_string = data[end + 1:], False
        closings = _STRING.findall(data)  # per string: b'"' when it closes in this chunk, b"" when not
        outside = _STRING.sub(b"", data) if closings else data
        if closings and not closings[-1]:  # the last string runs past the chunk
            self.in_string = True
            trailing = len(data) - len(data.rstrip(b"\\"))
            self.pending = b"\\" if trailing % 2 else b""
        brackets = outside.translate(None, _NOT_BRACKETS)
        if not brackets:
            return True
        if self.depth + len(brackets) > self.limit:  # cannot pass the limit otherwise: skip the walk
            if max(accumulate(map(_DELTA.__getitem__, brackets), initial=self.depth)) > self.limit:
                return False
        opens = brackets.count(b"[") + brackets.count(b"{")
        self.depth += 2 * opens - len(brackets)
        return True


class JsonGuard:
    """What a JSON body must pass while it streams: UTF-8 without NUL bytes, depth within the limit.

    Strict UTF-8 also spares FastAPI the UnicodeDecodeError json.loads raises on invalid bytes
    (which it answers with a bare 400 {"detail"}).
    """

    __slots__ = ("decoder", "scanner")

    def __init__(self, max_depth: int = MAX_JSON_DEPTH) -> None:
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.scanner = DepthScanner(max_depth)

    def feed(self, chunk: bytes, final: bool) -> JSONResponse | None:
        """The refusal for this chunk, or None."""
        if b"\x00" in chunk:
            return not_utf8()
        try:
            self.decoder.decode(chunk, final)
        except UnicodeDecodeError:
            return not_utf8()
        if not self.scanner.feed(chunk):
            return too_deep()
        return None


class _Refused(Exception):
    """Raised from `receive` when the body breaks a limit while the app reads it."""

    def __init__(self, response: JSONResponse) -> None:
        super().__init__(response.status_code)
        self.response = response


class BodyLimits:
    """Pure ASGI middleware: size, depth and content type of request bodies (see the module doc)."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES, max_depth: int = MAX_JSON_DEPTH) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        length = _content_length(headers.get("content-length"))
        if length is not None and length > self.max_bytes:
            await too_large()(scope, receive, send)  # refused before reading a byte of the body
            return
        content_type = headers.get("content-type")
        has_body = (length or 0) > 0 or "chunked" in headers.get("transfer-encoding", "").lower()
        form = scope["path"] in FORM_PATHS and (content_type or "").startswith("application/x-www-form-urlencoded")
        if scope["method"] in _BODY_METHODS and has_body and not is_json_type(content_type) and not form:
            await not_json()(scope, receive, send)
            return
        guard = JsonGuard(self.max_depth) if is_json_type(content_type) or content_type is None else None
        received = 0
        refused: JSONResponse | None = None
        started = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused is not None:
                raise _Refused(refused)
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > self.max_bytes:
                    refused = too_large()
                elif guard is not None:
                    refused = guard.feed(chunk, final=not message.get("more_body", False))
                if refused is not None:
                    raise _Refused(refused)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused is not None:  # the app answered an aborted read: answer with the refusal
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await refused(scope, receive, send)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _Refused as exc:
            if started:
                raise
            started = True
            await exc.response(scope, receive, send)
        except Exception:
            if refused is None or started:
                raise
            started = True
            await refused(scope, receive, send)


def _content_length(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None  # the server (h11) refuses a malformed Content-Length before we are called


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    detail = "the database is unavailable at the moment; try again in a few seconds"
    if request.method == "POST":
        detail += " (resend with the same Idempotency-Key to be safe from a double submission)"
    return JSONResponse(status_code=503, content={"detail": detail}, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


_PARSE_FAILED = "There was an error parsing the body"  # FastAPI's 400 when json.loads raises a non-JSONDecodeError


def _unparsable_reason(cause: BaseException | None) -> str:
    if isinstance(cause, ValueError) and "digits" in str(cause):
        return "a number has too many digits (at most 4300)"
    if isinstance(cause, UnicodeError):
        return "the body must be UTF-8 text"
    if isinstance(cause, RecursionError):
        return f"nested too deeply (at most {MAX_JSON_DEPTH} levels)"
    return "the body cannot be parsed"


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    """FastAPI's bare 400 for a body json.loads fails on (other than JSONDecodeError) -> the usual 422."""
    if exc.status_code == 400 and exc.detail == _PARSE_FAILED:
        return _refusal(422, "body", f"malformed JSON: {_unparsable_reason(exc.__cause__)}")
    return await http_exception_handler(request, exc)


async def _text_not_storable(request: Request, exc: Exception) -> JSONResponse:
    """PostgreSQL's jsonb refuses \\u0000 (SQLSTATE 22P05); the contract lets it through, so this is the
    submitter's text, not our fault: 422 (the transaction rolled back, nothing was stored)."""
    return _refusal(422, "body", "text must not contain the NUL character (\\u0000)")


def install(app: FastAPI) -> None:
    """Body limits in front of everything; unparsable bodies and unstorable text as 422;
    connection errors of the database as 503."""
    app.add_middleware(BodyLimits)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(asyncpg.UntranslatableCharacterError, _text_not_storable)
    for error in CONNECTION_ERRORS:
        app.add_exception_handler(error, _database_unavailable)

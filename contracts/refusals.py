"""Refusals of the contracts' models as a list of {"field", "message"} a caseworker can read (HTTP 422 bodies, import reports).

`field` is the dotted path inside the request body (``household.members.1.id_number``),
without FastAPI's leading ``body``; errors about the body as a whole use ``"body"``.
Messages never carry the submitted value (pydantic's ``input`` is dropped).
"""
from __future__ import annotations

from typing import Any, Iterable

from pydantic import ValidationError

MAX_MESSAGE = 300

# Pattern mismatches, by the last element of the field path.
_PATTERN_MESSAGES = {
    "phone": "phone must be a mainland mobile number (11 digits starting with 1) or a landline number with area code",
    "region_code": "region code must be 6 digits",
    "region": "region code must be 6 digits",
    "number": "account number must be 8 to 30 digits",
    "diagnoses": "diagnosis code must be 1 to 40 lowercase letters or underscores, e.g. malignant_tumor",
    "diagnosis": "diagnosis code must be 1 to 40 lowercase letters or underscores, e.g. malignant_tumor",
    "period": "period must be a month written YYYY-MM, e.g. 2027-01",
}

_TOO_LONG_LISTS = {
    "members": "too many household members: at most {max_length}",
    "medical_bills": "too many medical bills: at most {max_length}",
    "diagnoses": "too many diagnoses: at most {max_length}",
    "services": "too many services: there are {max_length}, each asked for once",
}

_TOO_SHORT_LISTS = {
    "members": "the household needs at least {min_length} member",
}


def _last_name(loc: tuple) -> str:
    """The last non-index element of the path (diagnoses.3 -> diagnoses)."""
    for part in reversed(loc):
        if isinstance(part, str):
            return part
    return ""


def _format(template: str, ctx: dict) -> str:
    try:
        return template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        return template


def _message(error: dict) -> str:
    kind = error.get("type", "")
    loc = tuple(error.get("loc", ()))
    ctx = error.get("ctx") or {}
    name = _last_name(loc)
    msg = str(error.get("msg", ""))

    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field: not part of the form"
    if kind in ("enum", "literal_error"):
        return f"unknown value: must be one of {ctx.get('expected', 'the listed values')}"
    if kind == "string_type":
        return "must be text"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return _format("too long: at most {max_length} characters", ctx)
    if kind == "string_pattern_mismatch":
        return _PATTERN_MESSAGES.get(name, "has the wrong format")
    if kind == "too_long":
        return _format(_TOO_LONG_LISTS.get(name, "too many entries: at most {max_length}"), ctx)
    if kind == "too_short":
        return _format(_TOO_SHORT_LISTS.get(name, "needs at least {min_length} entries"), ctx)
    if kind in ("bool_type", "bool_parsing"):
        return "must be true or false"
    if kind in ("int_type", "int_parsing", "int_from_float", "int_parsing_size"):
        return "must be a whole number"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        if name == "disability_grade":
            return "disability grade must be 1, 2, 3 or 4"
        if kind == "greater_than_equal":
            return _format("must be at least {ge}", ctx)
        if kind == "less_than_equal":
            return _format("must be at most {le}", ctx)
        return "is out of range"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must be an object ({...})"
    if kind in ("list_type", "tuple_type"):
        return "must be a list ([...])"
    if kind.startswith("datetime_") or kind == "timezone_aware" or kind == "timezone_naive":
        return "must be a date and time like 2026-11-20T09:30:00+08:00"
    if kind.startswith("date_") and kind not in ("date_in_future", "date_implausible"):
        return "must be a date like 2026-11-20"
    if kind == "json_invalid":
        return f"malformed JSON: {ctx.get('error', 'cannot be parsed')}"
    if kind in ("uuid_parsing", "uuid_type", "uuid_version"):  # pydantic's own message quotes the bad character
        return "must be an id like 6f1c1a53-3f3e-4b77-9d44-0d6c2a5b1e2f"
    if kind == "value_error" and msg.startswith("Value error, "):
        return msg[len("Value error, "):]
    if kind == "assertion_error" and msg.startswith("Assertion failed, "):
        return msg[len("Assertion failed, "):]
    # our own rules (contracts.application) carry their caseworker message as msg
    return msg


def _errors_of(exc: Any) -> Iterable[dict]:
    if isinstance(exc, ValidationError):
        return exc.errors(include_url=False, include_input=False)
    errors = exc.errors() if hasattr(exc, "errors") else exc
    return [dict(e) for e in errors]


def field_errors(exc: Any) -> list[dict]:
    """[{"field", "message"}] for a pydantic ValidationError or FastAPI RequestValidationError."""
    out: list[dict] = []
    seen: set[tuple[str, str]] = set()
    for error in _errors_of(exc):
        loc = tuple(error.get("loc", ()))
        if error.get("type") == "json_invalid":
            items = malformed_json_error(str((error.get("ctx") or {}).get("error", "cannot be parsed")))
        else:
            if loc and loc[0] == "body":
                loc = loc[1:]
            field = ".".join(str(part) for part in loc)
            if not field and error.get("type") in ("missing", "model_type", "model_attributes_type", "dict_type"):
                field = "body"
            message = _message(error)
            if field == "body" and error.get("type") == "missing":
                message = "the request body is missing"
            elif field == "body" and error.get("type") != "missing":
                message = "the request body must be a JSON object"
            items = [{"field": field, "message": message[:MAX_MESSAGE]}]
        for item in items:
            key = (item["field"], item["message"])
            if key not in seen:
                seen.add(key)
                out.append(item)
    return out


def malformed_json_error(msg: str) -> list[dict]:
    """The 422 body for a request whose body is not JSON at all."""
    detail = " ".join(str(msg).split())[:200] or "cannot be parsed"
    return [{"field": "body", "message": f"malformed JSON: {detail}"}]

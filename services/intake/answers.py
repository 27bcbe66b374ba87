"""The statuses an operation can answer besides its success, declared in the OpenAPI document.

Every refusal body is the contract's list of {"field", "message"} (404 and 503 answer {"detail"}).
"""
from __future__ import annotations

from pydantic import BaseModel


class FieldError(BaseModel):
    field: str
    message: str


class Detail(BaseModel):
    detail: str


_MEANING = {
    401: ("no token, or a forged, expired or malformed one (WWW-Authenticate says why)", list[FieldError]),
    403: ("the token's role or scope does not allow this", list[FieldError]),
    404: ("no such application", Detail),
    409: ("the Idempotency-Key was used with a different body", list[FieldError]),
    413: ("the request body is larger than 1 MiB", list[FieldError]),
    415: ("the request body is not JSON", list[FieldError]),
    422: ("bad input: each field and the rule it breaks; nothing was stored", list[FieldError]),
    429: ("too many anonymous submissions from this address or for this applicant; see Retry-After", list[FieldError]),
    503: ("the database is unreachable; try again after Retry-After", Detail),
}
DATABASE = (503,)
SIGNED_IN = (401, 403, *DATABASE)


def answers(*codes: int) -> dict[int, dict]:
    """`responses=` for a route: each code with its meaning and body model."""
    return {code: {"description": _MEANING[code][0], "model": _MEANING[code][1]} for code in sorted(set(codes))}

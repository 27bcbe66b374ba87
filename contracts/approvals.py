"""The body of POST /v1/applications/{id}/approval (contract: DESIGN.md "Emergencies, approvals")."""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StrictBool, StringConstraints


class ApprovalIn(BaseModel):
    """`{"approve": true|false, "note": "..."}`: a refusal needs its note (the citizen's notice names it)."""
    model_config = ConfigDict(extra="forbid", frozen=True)

    approve: StrictBool
    note: Annotated[str, StringConstraints(strict=True, strip_whitespace=True, max_length=500)] = ""


def refusals(body: ApprovalIn) -> list[dict]:
    if not body.approve and not body.note:
        return [{"field": "note", "message": "refusal_needs_note: a refusal must say why (the household's notice names it)"}]
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in body.note):
        return [{"field": "note", "message": "control_character: the note cannot contain control characters"}]
    return []

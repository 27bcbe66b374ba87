"""One person in the departments' registries (contract: DESIGN.md "Registries"): a line of
`jointaid registry import FILE.jsonl` and of `POST /v1/registry/records`, and what the registries answer.

Which registry holds which field (named in every difference a decision reports):
population — hukou_region, alive; income — monthly_income_fen (social insurance, tax);
assets — financial_assets_fen, vehicles; disability — disability_grade.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field, StrictBool, StrictInt, StringConstraints, ValidationError

from contracts.application import Fen, IdNumber, MonthlyIncomeFen, RegionCode, _In
from contracts.refusals import field_errors

REGISTRY_OF_FIELD = {
    "hukou_region": "population",
    "alive": "population",
    "monthly_income_fen": "income",
    "financial_assets_fen": "assets",
    "vehicles": "assets",
    "disability_grade": "disability",
}
HouseholdId = Annotated[str, StringConstraints(strict=True, pattern=r"^[0-9A-Za-z_-]{1,40}$")]


class RegistryRecord(_In):
    """What the registries hold of one person; a later record of the same id_number replaces the earlier."""
    id_number: IdNumber
    household_id: HouseholdId
    hukou_region: RegionCode
    alive: StrictBool
    disability_grade: StrictInt | None = Field(default=None, ge=1, le=4, description="1 (most severe) to 4; null: none")
    monthly_income_fen: MonthlyIncomeFen
    financial_assets_fen: Fen
    vehicles: StrictInt = Field(ge=0, le=100)


# ---- reading lines (the file import and POST /v1/registry/records) --------------------------------

_JSON_POSITION = re.compile(r" at line 1 column (\d+)$")
_PLAIN_NAME = re.compile(r"(?:[A-Za-z_]{1,40}\.(?:[0-9]{1,3}\.)?)*[A-Za-z_]{1,40}")  # a name, or a path of names and indices


@dataclass(frozen=True)
class Refusal:
    line: int
    field: str | None  # None: the line as a whole (not JSON, not an object)
    message: str

    @property
    def rule(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def refusal_of(line: int, exc: ValidationError, record: str = "a registry record") -> Refusal:
    """The first error of a refused line, in a caseworker's words, without the value (it may be personal data).
    `record` names what a line is, for an unknown field (contracts.caseload reads its lines the same way)."""
    error = exc.errors(include_url=False, include_input=False)[0]
    kind, field = error["type"], ".".join(map(str, error["loc"])) or None
    if kind == "json_invalid":
        detail = _JSON_POSITION.sub(r" at column \1", str((error.get("ctx") or {}).get("error", "cannot be parsed")))
        return Refusal(line, None, f"malformed JSON: {detail}")
    if field is None:
        return Refusal(line, None, "a line must be one JSON object ({...})")
    if kind == "extra_forbidden":  # the name is the line's own text: shown only when it cannot be a number or code
        if _PLAIN_NAME.fullmatch(field):
            return Refusal(line, field, f"unknown field: not part of {record}")
        return Refusal(line, None, f"a field that is not part of {record} (its name is not shown)")
    return Refusal(line, field, field_errors([error])[0]["message"])


def read_record(raw: bytes, line: int, context: dict | None = None) -> RegistryRecord | Refusal:
    """One line: the record, or the Refusal naming the line and its rule."""
    try:
        return RegistryRecord.model_validate_json(raw, context=context)
    except ValidationError as exc:
        return refusal_of(line, exc)

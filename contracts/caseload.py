"""One household of an existing caseload (contract: DESIGN.md "Caseload and payment runs"): a line of
`jointaid caseload import FILE.jsonl`, when a region adopting the system moves its recipients in.

The line says who the household is, which status it holds since when, and where it is paid; it carries no
amount: the monthly amount is computed by the rules (services.caseload.imported). The field types are the
application's (contracts.application), so an ID number, a name or an account is held to the same rules
whichever way it comes in. A refused line is reported as contracts.registry reports its lines: line
number and rule, never the value.
"""
from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Annotated

from pydantic import Field, Strict, StrictInt, ValidationError, ValidationInfo, field_validator, model_validator

from contracts.application import (MAX_MEMBERS, IdNumber, MonthlyIncomeFen, Name, PayoutAccount, RegionCode, Relation,
                                   _In, _fail, _rule, _today)
from contracts.events import CareLevel
from contracts.registry import Refusal, refusal_of

RECORD = "a caseload line"


class CaseloadStatus(str, Enum):
    """The statuses a household can be moved in with (the caseload programs; `exited` is not imported)."""
    extreme_poverty = "extreme_poverty"
    mla = "mla"
    low_income = "low_income"


class CaseloadMember(_In):
    id_number: IdNumber
    name: Name
    relation: Relation
    monthly_income_fen: MonthlyIncomeFen = Field(description="as the region recorded it; the income registry wins "
                                                             "where it knows the person")
    care_level: CareLevel | None = None
    disability_grade: StrictInt | None = Field(default=None, ge=1, le=4, description="1 (most severe) to 4; the "
                                                                                      "disability registry wins")


class CaseloadLine(_In):
    applicant_id_number: IdNumber
    members: list[CaseloadMember] = Field(min_length=1, max_length=MAX_MEMBERS)
    status: CaseloadStatus
    enrolled_on: Annotated[date, Strict()] = Field(description="when the region enrolled the household (YYYY-MM-DD); "
                                                               "its annual review falls due 12 months later")
    region_code: RegionCode
    payout_account: PayoutAccount

    @field_validator("enrolled_on")
    @classmethod
    def _not_future(cls, value: date, info: ValidationInfo) -> date:
        if value > _today(info):
            raise _rule("date_in_future", "a household cannot have been enrolled in the future")
        return value

    @model_validator(mode="after")
    def _applicant_is_a_member(self) -> "CaseloadLine":
        """The rules of the application form (ApplicationIn): the applicant is the one `self`, nobody twice."""
        ids = [m.id_number for m in self.members]
        problems = []
        if self.applicant_id_number not in ids:
            problems.append((("applicant_id_number",), "applicant_not_member", "applicant is not among the household members"))
        elif self.members[ids.index(self.applicant_id_number)].relation is not Relation.self:
            problems.append((("members", ids.index(self.applicant_id_number), "relation"), "applicant_not_self",
                             "the applicant's own entry must have relation 'self'"))
        seen: set[str] = set()
        for index, member in enumerate(self.members):
            if member.relation is Relation.self and member.id_number != self.applicant_id_number:
                problems.append((("members", index, "relation"), "self_not_applicant",
                                 "relation 'self' is only for the applicant, and this member's ID number differs "
                                 "from the applicant's"))
            if member.id_number in seen:
                problems.append((("members", index, "id_number"), "member_duplicate",
                                 "the same ID number is listed twice in the household"))
            seen.add(member.id_number)
        if problems:
            raise _fail("CaseloadLine", problems)
        return self


def read_line(raw: bytes, line: int, context: dict | None = None) -> CaseloadLine | Refusal:
    """One line: the household, or the Refusal naming the line and its rule (context {"now": ...}: one today)."""
    try:
        return CaseloadLine.model_validate_json(raw, context=context)
    except ValidationError as exc:
        return refusal_of(line, exc, RECORD)

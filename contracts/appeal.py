"""The body of POST /v1/applications/{id}/appeals (contract: DESIGN.md "Emergencies, approvals, appeals").

`{"layer": 1-5, "grounds": "...", "facts": {...}}`: the layer appealed, why, and the new facts it brings
(AppealFacts: what may change in the facts that layer was decided on). Strict like the application form:
integer fen only, no unknown field, every refusal names its rule. The rules that need the application
(its notice, its members, an open appeal) are intake's (services/intake/appeals.py).
"""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StrictBool, StrictInt, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from contracts.application import MAX_BILLS, MAX_MEMBERS, DiagnosisCode, Fen, MonthlyIncomeFen, _fail, _In
from contracts.events import AppealFactChanges, CareLevel

MAX_GROUNDS = 2000
LAYERS = {1: "living support (civil affairs)", 2: "critical-illness insurance (medical insurance)",
          3: "medical assistance (medical insurance)", 4: "temporary assistance (civil affairs)",
          5: "major-illness relief (Red Cross)"}


def _layer(value: Any) -> Any:
    if type(value) is not int or value not in LAYERS:
        raise PydanticCustomError("appeal_layer", "appeal_layer: the layer appealed is 1 to 5 (" +
                                  "; ".join(f"{n} {what}" for n, what in LAYERS.items()) + ")")
    return value


def _grounds_text(value: str) -> str:
    if any((ord(ch) < 32 and ch not in "\n\r\t") or ord(ch) == 127 for ch in value):
        raise PydanticCustomError("control_character", "appeal_grounds: the grounds cannot contain control characters")
    return value


Grounds = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1, max_length=MAX_GROUNDS),
                    AfterValidator(_grounds_text)]
Position = Annotated[StrictInt, Field(ge=1, le=MAX_MEMBERS, description="the member's position in the household (1-based)")]


class MemberChange(_In):
    """A member's new facts: a new monthly income, disability grade or care level."""
    member: Position
    monthly_income_fen: MonthlyIncomeFen | None = None
    disability_grade: StrictInt | None = Field(default=None, ge=1, le=4, description="1 (most severe) to 4")
    care_level: CareLevel | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> "MemberChange":
        if self.monthly_income_fen is None and self.disability_grade is None and self.care_level is None:
            raise _fail("MemberChange", [(("member",), "appeal_member_unchanged",
                                          "appeal_member_unchanged: a member's entry must change their income, "
                                          "disability grade or care level")])
        return self


class AppealBill(_In):
    """A new medical bill (the patient by position); the same rules as a bill of the application form."""
    member: Position
    total_fen: Fen
    basic_reimbursed_fen: Fen
    covered_oop_fen: Fen = Field(description="the part of the out-of-pocket amount that critical-illness insurance covers")
    diagnosis: DiagnosisCode | None = None

    @model_validator(mode="after")
    def _parts_fit(self) -> "AppealBill":
        if self.basic_reimbursed_fen > self.total_fen:
            raise _fail("AppealBill", [(("basic_reimbursed_fen",), "bill_reimbursed_exceeds_total",
                                        "basic reimbursement exceeds the bill's total")])
        if self.covered_oop_fen > self.total_fen - self.basic_reimbursed_fen:
            raise _fail("AppealBill", [(("covered_oop_fen",), "bill_covered_exceeds_oop",
                                        "covered part exceeds the out-of-pocket part (total minus basic reimbursement)")])
        return self


class AppealFacts(_In):
    """The new facts: changed members, new bills, the emergency loss, whether an able legal supporter exists."""
    members: list[MemberChange] = Field(default_factory=list, max_length=MAX_MEMBERS)
    medical_bills: list[AppealBill] = Field(default_factory=list, max_length=MAX_BILLS)
    emergency_loss_fen: Fen | None = Field(default=None, description="the emergency loss as it now stands (replaces it)")
    has_supporter: StrictBool | None = None

    @model_validator(mode="after")
    def _new_and_once(self) -> "AppealFacts":
        if not (self.members or self.medical_bills or self.emergency_loss_fen is not None or self.has_supporter is not None):
            raise _fail("AppealFacts", [((), "appeal_facts_empty",
                                         "appeal_facts_empty: an appeal brings new facts (members, medical_bills, "
                                         "emergency_loss_fen or has_supporter)")])
        positions = [change.member for change in self.members]
        problems = [(("members", index, "member"), "appeal_member_twice",
                     "appeal_member_twice: the same member is listed twice")
                    for index, position in enumerate(positions) if position in positions[:index]]
        if problems:
            raise _fail("AppealFacts", problems)
        return self


class AppealIn(_In):
    layer: Annotated[int, BeforeValidator(_layer), Field(ge=1, le=5, description="the layer appealed, 1 to 5")]
    grounds: Grounds = Field(description="why the household appeals, in its own words")
    facts: AppealFacts

    def changes(self) -> AppealFactChanges:
        """The facts as the event carries them (validated already)."""
        return AppealFactChanges.model_validate(self.facts.model_dump(mode="json"))


def member_refusals(appeal: AppealIn, members: int) -> list[dict]:
    """A member position beyond the household (`members`: how many the application lists)."""
    refusals = [{"field": f"facts.members.{i}.member", "message": f"appeal_member_unknown: the household has {members} member(s)"}
                for i, change in enumerate(appeal.facts.members) if change.member > members]
    refusals += [{"field": f"facts.medical_bills.{i}.member", "message": f"appeal_member_unknown: the household has {members} member(s)"}
                 for i, bill in enumerate(appeal.facts.medical_bills) if bill.member > members]
    return refusals


# Layers 2 and 3 are one decision of medical insurance (layer 3's base is what layer 2 left): an appeal on
# either decides both again, so that a new bill goes through insurance first.
REDECIDED_FROM = {1: 1, 2: 2, 3: 2, 4: 4, 5: 5}


def redecided_layers(layer: int, expected: tuple[int, ...] | list[int]) -> tuple[int, ...]:
    """The layers an appeal on `layer` decides again: from its department's first layer to the last expected."""
    return tuple(sorted(n for n in expected if n >= REDECIDED_FROM[layer]))

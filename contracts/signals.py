"""One monitoring signal (contract: DESIGN.md "Leads"): a row of `jointaid monitor import FILE`
(CSV or Parquet) and a line of `POST /v1/signals` (JSON lines).

Columns: id_number, signal, amount_fen, observed_on, source; `grade` is optional (added, never
renamed): a disability signal's assessed grade, 1 (most severe) to 4.
What `amount_fen` means depends on the signal (services/discovery/rules.py decides with it):
medical_spending — out-of-pocket medical spending of that bill; income_drop — the person's new
monthly income; disability, death, report — not used (empty).
"""
from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Annotated

from pydantic import Field, StrictInt, StringConstraints, ValidationError, ValidationInfo, field_validator, model_validator

from contracts.application import Fen, IdNumber, _In, _fail, _rule, _today
from contracts.registry import Refusal, refusal_of


class SignalKind(str, Enum):
    medical_spending = "medical_spending"
    income_drop = "income_drop"
    disability = "disability"
    death = "death"
    report = "report"  # a hotline or crowdfunding report: always a lead


Source = Annotated[str, StringConstraints(strict=True, pattern=r"^[0-9A-Za-z_.:-]{1,60}$")]
NEEDS_AMOUNT = frozenset({SignalKind.medical_spending, SignalKind.income_drop})


class SignalLine(_In):
    id_number: IdNumber
    signal: SignalKind
    amount_fen: Fen | None = None
    observed_on: date
    source: Source
    grade: StrictInt | None = Field(default=None, ge=1, le=4, description="disability: the assessed grade")

    @field_validator("observed_on")
    @classmethod
    def _not_future(cls, value: date, info: ValidationInfo) -> date:
        if value > _today(info):
            raise _rule("date_in_future", "a signal cannot be observed in the future")
        return value

    @model_validator(mode="after")
    def _amount_when_needed(self) -> "SignalLine":
        if self.signal in NEEDS_AMOUNT and self.amount_fen is None:
            raise _fail("SignalLine", [(("amount_fen",), "amount_missing",
                                        f"{self.signal.value} signals need their amount in fen")])
        return self


def read_signal(raw: bytes, line: int, context: dict | None = None) -> SignalLine | Refusal:
    """One JSON line: the signal, or the Refusal naming the line and its rule (never the content)."""
    try:
        return SignalLine.model_validate_json(raw, context=context)
    except ValidationError as exc:
        return refusal_of(line, exc, "a signal")

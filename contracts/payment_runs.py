"""The body of POST /v1/payment-runs, and the run's id (contract: DESIGN.md "Caseload and payment runs").

A run is named by what it pays, (kind, period): its id is derived from them, so a second request
for the same kind and period can only ever name the same run.
"""
from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from contracts.events import PERIOD_PATTERN, RunKind

RUN_NAMESPACE = uuid.UUID("a3e4f1c2-7b5d-4e8a-9c61-0f2d3b4a5c6e")
IndexBp = Annotated[StrictInt, Field(ge=-10_000, le=100_000, description="year-on-year change in basis points (350 = 3.5%)")]


class PaymentRunIn(BaseModel):
    """`{"kind": "monthly", "period": "2027-01"}` or, for a price subsidy, with the published indices."""
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: RunKind
    period: Annotated[StrictStr, Field(pattern=PERIOD_PATTERN, description="the month paid, YYYY-MM")]
    cpi_yoy_bp: IndexBp | None = None
    food_cpi_yoy_bp: IndexBp | None = None


def run_id_of(kind: RunKind | str, period: str) -> uuid.UUID:
    """The one run of this kind for this period (the same id however often it is asked for)."""
    return uuid.uuid5(RUN_NAMESPACE, f"{RunKind(kind).value}:{period}")


def index_refusals(run: PaymentRunIn) -> list[dict]:
    """The indices belong to a price subsidy: both given for one, neither for a monthly run."""
    indices = ("cpi_yoy_bp", "food_cpi_yoy_bp")
    if run.kind is RunKind.price_subsidy:
        return [{"field": name, "message": "required for a price_subsidy run: the published index, in basis points"}
                for name in indices if getattr(run, name) is None]
    return [{"field": name, "message": "only a price_subsidy run takes the price indices"}
            for name in indices if getattr(run, name) is not None]

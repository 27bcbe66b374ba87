"""The body of POST /v1/reviews, and the review's id (contract: DESIGN.md "Caseload and payment runs").

A review is named by its day: its id is derived from as_of, so asking again for the same day can only
ever name the same review.
"""
from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

REVIEW_NAMESPACE = uuid.UUID("5e0c2b7a-91d4-4f3e-b8a6-2d7c4e1f9a03")
DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date_text(value):
    """A day written YYYY-MM-DD: no number taken for a timestamp, no time of day (the rest is date's own check)."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not DATE_TEXT.fullmatch(value):
        raise ValueError("as_of must be a day written YYYY-MM-DD, e.g. 2027-01-01")
    return value


class ReviewIn(BaseModel):
    """`{"as_of": "2027-01-01"}`: review every recipient due by that day."""
    model_config = ConfigDict(extra="forbid", frozen=True)

    as_of: Annotated[date, BeforeValidator(_date_text), Field(description="review every recipient due on or before this day (YYYY-MM-DD)")]


def review_id_of(as_of: date) -> uuid.UUID:
    """The one review of this day (the same id however often it is asked for)."""
    return uuid.uuid5(REVIEW_NAMESPACE, as_of.isoformat())


def effective_period(as_of: date) -> str:
    """The first period after as_of's month (YYYY-MM): where a review's outcomes take effect (DESIGN.md)."""
    year, month = divmod(as_of.year * 12 + as_of.month, 12)  # the next month, 0-based
    return f"{year:04d}-{month + 1:02d}"

"""The envelope every event travels in (contract: DESIGN.md)."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: uuid.UUID
    event_type: str = Field(pattern=r"^aid\.[a-z_.]+\.v[0-9]+$", examples=["aid.decision.made.v1"])
    occurred_at: datetime
    application_id: uuid.UUID
    producer: str = Field(min_length=1, max_length=64)
    data: dict[str, Any]


def new_envelope(event_type: str, application_id: uuid.UUID | str, producer: str, data: BaseModel) -> Envelope:
    return Envelope(
        event_id=uuid.uuid4(),
        event_type=event_type,
        occurred_at=datetime.now(timezone.utc),
        application_id=uuid.UUID(str(application_id)),
        producer=producer,
        data=data.model_dump(mode="json"),
    )

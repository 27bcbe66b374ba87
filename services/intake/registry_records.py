"""POST /v1/registry/records: a department sends registry lines (JSON lines, one person a line).

Intake checks every line and sends the good ones to the registries service as one
aid.registry.records event (intake never writes another service's tables); a bad line is
refused with its number and rule, and the rest still goes.
"""
from __future__ import annotations

import uuid

import asyncpg
from contracts.envelope import new_envelope
from contracts.events import RegistryRecordsSubmitted
from contracts.registry import RegistryRecord, read_record
from contracts.topics import REGISTRY_RECORDS
from services.intake import json_lines
from services.kit import outbox


def read_lines(body: bytes) -> tuple[list[RegistryRecord], list[dict], int]:
    """(records, refusals as {"line", "field", "message"}, lines read); blank lines are skipped.
    A later line for the same person replaces the earlier (the registries keep the last)."""
    return json_lines.read_lines(body, read_record)


async def send(conn: asyncpg.Connection, records: list[RegistryRecord]) -> uuid.UUID:
    """One event for the batch, through intake's outbox; its key is a batch id."""
    batch_id = uuid.uuid4()
    data = RegistryRecordsSubmitted(records=tuple(r.model_dump(mode="json") for r in records))
    await outbox.enqueue(conn, REGISTRY_RECORDS, new_envelope("aid.registry.records.v1", batch_id, "intake", data))
    return batch_id

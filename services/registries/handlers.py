"""Registries: answer who is known and what the registries hold; take in records posted through the API."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

import asyncpg

from contracts.events import RegistryAnswered, RegistryPerson, RegistryQuery, RegistryRecordsSubmitted
from contracts.idnumber import normalise
from contracts.registry import RegistryRecord
from services.kit.consumer import Item, Tx
from services.registries import store

log = logging.getLogger(__name__)


def person_of(asked: str, row: asyncpg.Record | None) -> RegistryPerson:
    """One asked person as the answer carries it; unknown: known=false and nothing else."""
    if row is None:
        return RegistryPerson(id_number=asked, known=False)
    return RegistryPerson(id_number=asked, known=True, hukou_region=row["hukou_region"], alive=row["alive"],
                          disability_grade=row["disability_grade"], monthly_income_fen=row["monthly_income_fen"],
                          financial_assets_fen=row["financial_assets_fen"], vehicles=row["vehicles"],
                          recorded_at=row["recorded_at"])


async def on_query(tx: Tx, event, query: RegistryQuery) -> None:
    """One person per asked ID number, in the asked order (the table holds them normalised: x -> X)."""
    await on_queries(tx.conn, [Item(tx, event, query)])


async def on_queries(conn, items: list[Item]) -> None:
    """A run of queries (`on_query.many`): everyone asked looked up in one statement, the answers logged in one."""
    found = await store.people(conn, [normalise(i) for item in items for i in item.data.id_numbers])
    answered_at = datetime.now(timezone.utc)
    logged = []
    for item in items:
        people = tuple(person_of(asked, found.get(normalise(asked))) for asked in item.data.id_numbers)
        logged.append((item.event.application_id, len(people), sum(p.known for p in people), answered_at))
        with item.tx.active():
            await item.tx.emit("aid.registry.answered.v1", RegistryAnswered(people=people, answered_at=answered_at))
    await store.log_answers(conn, logged)


on_query.many = on_queries


async def on_records(tx: Tx, event, submitted: RegistryRecordsSubmitted) -> None:
    """Records intake took in: validated again (the contract is what they must be), loaded like a file."""
    records = [RegistryRecord.model_validate(r) for r in submitted.records]
    loaded = await store.load(tx.conn, [store.staged_row(line, r) for line, r in enumerate(records, 1)])
    log.info("registries: batch %s: %d people, %d inserted, %d replaced, %d unchanged", event.application_id,
             loaded.people, loaded.inserted, loaded.replaced, loaded.unchanged)


HANDLERS = {
    "aid.registry.query.v1": on_query,
    "aid.registry.records.v1": on_records,
}

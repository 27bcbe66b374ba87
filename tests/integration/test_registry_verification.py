"""Verification asks the registries and the registry wins: real broker, real database, both services in-process."""
from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import datetime, timezone

from contracts.envelope import new_envelope
from contracts.events import ApplicationSubmitted
from jointaid.bench import _renumber
from services.kit.db import migrate
from services.verification import deadlines
from jointaid.registry import spec_of
from tests.conftest import EXAMPLES
from tests.integration.conftest import eventually, running


def submitted(body) -> tuple:
    event = new_envelope("aid.application.submitted.v1", uuid.uuid4(), "intake",
                         ApplicationSubmitted(submission=body, submitted_at=datetime.now(timezone.utc)))
    return event, event.application_id


async def registered(db, settings, *people: dict) -> None:
    """Put people straight into the registries' table (what `jointaid registry import` loads)."""
    await migrate(settings.database_url, "registries", spec_of("registries", settings).migrations)
    for p in people:
        await db.execute(
            "INSERT INTO registries.persons(id_number, household_id, hukou_region, alive, disability_grade,"
            " monthly_income_fen, financial_assets_fen, vehicles, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())"
            " ON CONFLICT (id_number) DO UPDATE SET hukou_region = EXCLUDED.hukou_region, alive = EXCLUDED.alive,"
            " monthly_income_fen = EXCLUDED.monthly_income_fen",
            p["id_number"], "h-test", p.get("hukou_region", "610630"), p.get("alive", True), p.get("disability_grade"),
            p.get("monthly_income_fen", 0), p.get("financial_assets_fen", 0), p.get("vehicles", 0))


async def emitted(db, application_id, topic: str):
    row = await db.fetchrow("SELECT payload FROM verification.outbox WHERE application_id = $1 AND topic = $2",
                            application_id, topic)
    return None if row is None else json.loads(bytes(row["payload"]))["data"]


def household(serial: int) -> dict:
    return _renumber(EXAMPLES["A"], serial)  # mla household of 4 in 610630, member 1 earns 2,500 yuan


async def test_the_registry_wins_names_the_difference_and_marks_who_it_does_not_know(settings, publish, db):
    body = household(801)
    ids = [m["id_number"] for m in body["household"]["members"]]
    await registered(db, settings, {"id_number": ids[0], "monthly_income_fen": 310_000, "financial_assets_fen": 500_000},
                     {"id_number": ids[1]}, {"id_number": ids[3], "alive": False})
    event, application_id = submitted(body)
    async with running("verification", settings), running("registries", settings):
        await publish(event)
        verified = await eventually(lambda: emitted(db, application_id, "aid.application.verified"))
    facts = verified["facts"]
    assert facts["monthly_income_fen"] == 310_000
    assert [m["declared_only"] for m in facts["members"]] == [False, False, True]  # member 4 died; member 3 unknown
    assert "member 1: declared income 2,500.00 yuan; the income registry shows 3,100.00 yuan" in facts["registry_notes"]
    assert any("member 4" in note and "death" in note for note in facts["registry_notes"])
    assert {c["member"] for c in facts["registry_checks"]} == {1, 2, 4}


async def test_another_hukou_region_and_nobody_known(settings, publish, db):
    away, unknown = household(802), household(803)
    await registered(db, settings, *({"id_number": m["id_number"], "hukou_region": "330106",
                                      "monthly_income_fen": m["monthly_income_fen"]} for m in away["household"]["members"]))
    (first, first_id), (second, second_id) = submitted(away), submitted(unknown)
    async with running("verification", settings), running("registries", settings):
        await publish(first)
        await publish(second)
        away_facts = (await eventually(lambda: emitted(db, first_id, "aid.application.verified")))["facts"]
        unknown_facts = (await eventually(lambda: emitted(db, second_id, "aid.application.verified")))["facts"]
    assert away_facts["residence"] == "other"
    assert "declared hukou in 610630; the population registry shows hukou in 330106" in away_facts["registry_notes"]
    assert all(m["declared_only"] for m in unknown_facts["members"]) and unknown_facts["registry_notes"] == []
    assert unknown_facts["monthly_income_fen"] == 250_000  # the declaration


async def test_a_registry_that_does_not_answer_escalates_and_a_late_answer_still_verifies(settings, publish, db):
    hurried = dataclasses.replace(settings, deadline_seconds=0.5)
    event, application_id = submitted(household(804))
    async with running("verification", hurried) as ctx:  # no registries running: nobody answers
        await publish(event)
        await eventually(lambda: db.fetchval("SELECT asked_at < now() - interval '0.5 seconds' FROM"
                                             " verification.awaiting_registries WHERE application_id = $1", application_id))
        assert await deadlines.sweep(ctx) >= 1
        await deadlines.sweep(ctx)  # a second sweep does not escalate again
        escalated = await emitted(db, application_id, "aid.case.escalated")
        assert "registries did not answer" in escalated["reason"]
        assert await emitted(db, application_id, "aid.application.verified") is None
        async with running("registries", hurried):  # the registries come back: the query waiting for them is answered
            await eventually(lambda: emitted(db, application_id, "aid.application.verified"))
    count = await db.fetchval("SELECT count(*) FROM verification.outbox WHERE application_id = $1 AND topic = 'aid.case.escalated'",
                              application_id)
    assert count == 1

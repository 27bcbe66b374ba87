"""Discovery's handlers against a real PostgreSQL: posted signals go through the file's loader; the household's
answer closes its lead once and announces aid.lead.closed (keyed by the lead)."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import asyncpg

from contracts.envelope import new_envelope
from contracts.events import LeadConsented, SignalsSubmitted
from services.discovery.handlers import on_lead_consented, on_signals_submitted
from services.kit.consumer import handle
from services.kit.db import migrate
from services.kit.policy import today_in_shanghai
from services.registries.main import MIGRATIONS as REGISTRY_MIGRATIONS
from tests.integration.conftest import direct
from tests.signal_files import add_people, household_people


async def posted(ctx, *signals: dict) -> None:
    data = SignalsSubmitted(signals=signals)
    assert await handle(ctx, on_signals_submitted, new_envelope("aid.signals.submitted.v1", uuid.uuid4(), "intake", data),
                        data)


async def answer(ctx, lead_id, given: bool, application_id=None) -> bool:
    data = LeadConsented(lead_id=lead_id, given=given, channel="phone", at=datetime.now(timezone.utc),
                         by="caseworker-li", application_id=application_id)
    return await handle(ctx, on_lead_consented, new_envelope("aid.lead.consented.v1", lead_id, "intake", data), data)


async def a_lead(ctx, conn) -> tuple[uuid.UUID, str]:
    household_id, rows = household_people((100_000, 50_000))
    await add_people(conn, rows)
    await posted(ctx, {"id_number": rows[1][0], "signal": "report", "observed_on": today_in_shanghai().isoformat(),
                       "source": "hotline"})
    lead = await conn.fetchrow("SELECT * FROM discovery.lead_view WHERE household_id = $1", household_id)
    return lead["lead_id"], household_id


async def test_posted_signals_raise_a_lead_through_the_same_loader_and_again_nothing(settings):
    await migrate(settings.database_url, "registries", (REGISTRY_MIGRATIONS,))
    async with direct("discovery", settings) as ctx:
        conn = await asyncpg.connect(settings.database_url)
        try:
            lead_id, household_id = await a_lead(ctx, conn)
            lead = await conn.fetchrow("SELECT * FROM discovery.lead_view WHERE lead_id = $1", lead_id)
            assert (lead["status"], [r["rule"] for r in json.loads(lead["rules"])]) == ("open", ["report"])
            person = lead["person_id_number"]
            await posted(ctx, {"id_number": person, "signal": "report", "observed_on": today_in_shanghai().isoformat(),
                               "source": "hotline"})  # the same signal again: a duplicate
            assert await conn.fetchval("SELECT count(*) FROM discovery.leads WHERE household_id = $1", household_id) == 1
            [report] = await conn.fetch("SELECT * FROM discovery.imports WHERE origin = 'api' ORDER BY id DESC LIMIT 1")
            assert (report["staged"], report["loaded"], report["duplicates"], report["leads"]) == (1, 0, 1, 0)
        finally:
            await conn.close()


async def test_consent_refused_closes_the_lead_once_and_emits_lead_closed(settings):
    await migrate(settings.database_url, "registries", (REGISTRY_MIGRATIONS,))
    async with direct("discovery", settings) as ctx:
        conn = await asyncpg.connect(settings.database_url)
        try:
            lead_id, household_id = await a_lead(ctx, conn)
            assert await answer(ctx, lead_id, given=False)
            lead = await conn.fetchrow("SELECT * FROM discovery.lead_view WHERE lead_id = $1", lead_id)
            assert (lead["status"], lead["outcome"], lead["application_id"]) == ("closed", "consent_refused", None)
            assert lead["closed_at"] is not None
            await answer(ctx, lead_id, given=True, application_id=uuid.uuid4())  # a later answer changes nothing
            assert (await conn.fetchrow("SELECT outcome FROM discovery.leads WHERE lead_id = $1", lead_id))["outcome"] \
                == "consent_refused"
            [event] = await conn.fetch("SELECT * FROM discovery.outbox WHERE application_id = $1 AND topic = $2",
                                       lead_id, "aid.lead.closed")
            data = json.loads(event["payload"])["data"]
            assert (data["lead_id"], data["outcome"], data["application_id"]) == (str(lead_id), "consent_refused", None)
            # closed: a new signal of the household may raise a new lead (new news), the old one stays closed
            assert await conn.fetchval("SELECT count(*) FROM discovery.leads WHERE household_id = $1 AND status = 'open'",
                                       household_id) == 0
        finally:
            await conn.close()


async def test_consent_given_closes_the_lead_with_its_application(settings):
    await migrate(settings.database_url, "registries", (REGISTRY_MIGRATIONS,))
    async with direct("discovery", settings) as ctx:
        conn = await asyncpg.connect(settings.database_url)
        try:
            lead_id, _ = await a_lead(ctx, conn)
            application_id = uuid.uuid4()
            assert await answer(ctx, lead_id, given=True, application_id=application_id)
            lead = await conn.fetchrow("SELECT * FROM discovery.lead_view WHERE lead_id = $1", lead_id)
            assert (lead["status"], lead["outcome"], lead["application_id"]) == ("closed", "application", application_id)
            unknown = uuid.uuid4()
            assert await answer(ctx, unknown, given=False)  # an unknown lead: handled, nothing closed, nothing emitted
            assert await conn.fetchval("SELECT count(*) FROM discovery.outbox WHERE application_id = $1", unknown) == 0
            assert await conn.fetchval("SELECT count(*) FROM discovery.outbox WHERE topic = 'aid.lead.closed'"
                                       " AND application_id = $1", lead_id) == 1
        finally:
            await conn.close()

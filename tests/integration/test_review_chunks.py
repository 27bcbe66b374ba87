"""The annual review's pass against a real PostgreSQL: chunk by chunk, a failed chunk leaves nothing, nobody twice.

The households are enrolled on 2021-12-01 and reviewed as of 2022-12-15 (outcomes from 2023-01, the first
policy version's first period), so no other test's recipients are due in this review."""
from __future__ import annotations

import json
import uuid
from datetime import date

import asyncpg
import pytest

from contracts.application import ApplicationIn
from contracts.events import ReviewRequested
from contracts.reviews import review_id_of
from jointaid.bench import _renumber
from jointaid.registry import spec_of
from services.caseload import reviews
from services.kit.consumer import Tx
from services.kit.db import migrate
from services.verification.facts import derive_facts
from tests.conftest import EXAMPLES
from tests.integration.conftest import direct

ENROLLED, AS_OF = date(2021, 12, 1), date(2022, 12, 15)


async def seed(conn: asyncpg.Connection, n: int, serial_base: int) -> dict[uuid.UUID, str]:
    """n mla households of example A's shape; every 5th one's member 1 earns 1,800 yuan in the registry now
    (adjusted), every 5th + 1 earns 6,000 yuan (exited), the rest unknown to the registries (continued)."""
    facts = derive_facts(ApplicationIn.model_validate(EXAMPLES["A"]), ENROLLED).model_dump_json()
    expected, recipients, people = {}, [], []
    for i in range(n):
        body = _renumber(EXAMPLES["A"], serial_base + i)
        recipient_id = uuid.uuid4()
        members = [{"id_number": m["id_number"], "name": m["name"], "relation": m["relation"]} for m in body["household"]["members"]]
        recipients.append((recipient_id, body["applicant_id_number"], json.dumps(members)))
        income = {0: 180_000, 1: 600_000}.get(i % 5)
        expected[recipient_id] = {0: "adjusted", 1: "exited"}.get(i % 5, "continued")
        if income is not None:
            people.append((members[0]["id_number"], body["region_code"], income))
    await conn.execute(
        "INSERT INTO caseload.recipients(recipient_id, applicant_id_number, status, monthly_amount_fen, members, facts,"
        " region_code, payout_kind, payout_number, enrolled_on, next_review_on, first_period, source)"
        " SELECT r, a, 'mla', 92000, m, $4::jsonb, '610630', 'social_security_card', '6217000012345678', $5, $6, '2022-01',"
        " 'application' FROM unnest($1::uuid[], $2::text[], $3::jsonb[]) AS u(r, a, m)",
        *map(list, zip(*recipients)), facts, ENROLLED, date(2022, 12, 1))
    await conn.execute(
        "INSERT INTO registries.persons(id_number, household_id, hukou_region, alive, monthly_income_fen,"
        " financial_assets_fen, vehicles) SELECT i, 'h-review', r, true, f, 0, 0"
        " FROM unnest($1::text[], $2::text[], $3::bigint[]) AS u(i, r, f)"
        " ON CONFLICT (id_number) DO UPDATE SET monthly_income_fen = EXCLUDED.monthly_income_fen",
        *map(list, zip(*people)))
    return expected


async def forget(conn: asyncpg.Connection, recipient_ids: list[uuid.UUID], review_ids: list[uuid.UUID]) -> None:
    """Leave the session's database as found: these households would be due in, and paid by, later tests."""
    people = [m["id_number"] for r in await conn.fetch("SELECT members FROM caseload.recipients WHERE recipient_id ="
                                                       " ANY($1::uuid[])", recipient_ids) for m in json.loads(r["members"])]
    await conn.execute("DELETE FROM caseload.review_outcomes WHERE review_id = ANY($1::uuid[])", review_ids)
    await conn.execute("DELETE FROM caseload.reviews WHERE review_id = ANY($1::uuid[])", review_ids)
    await conn.execute("DELETE FROM caseload.recipient_history WHERE recipient_id = ANY($1::uuid[])", recipient_ids)
    await conn.execute("DELETE FROM caseload.recipients WHERE recipient_id = ANY($1::uuid[])", recipient_ids)
    await conn.execute("DELETE FROM registries.persons WHERE id_number = ANY($1::text[])", people)


async def request(ctx, as_of: date) -> uuid.UUID:
    review_id = review_id_of(as_of)
    async with ctx.pool.acquire() as conn, conn.transaction():
        await reviews.on_review_requested(Tx(conn, "caseload", review_id), None,
                                          ReviewRequested(review_id=review_id, as_of=as_of, requested_by="test"))
    return review_id


async def test_a_review_passes_in_chunks_and_reviews_each_household_once(settings):
    await migrate(settings.database_url, "registries", spec_of("registries", settings).migrations)
    async with direct("caseload", settings) as ctx:
        async with ctx.pool.acquire() as conn:
            expected = await seed(conn, 250, serial_base=3_000)
        mine = list(expected)
        try:
            await review_in_chunks(ctx, expected)
        finally:
            async with ctx.pool.acquire() as conn:
                await forget(conn, mine, [review_id_of(AS_OF), review_id_of(date(2022, 12, 16))])


async def review_in_chunks(ctx, expected: dict) -> None:
    mine = list(expected)
    review_id = await request(ctx, AS_OF)
    await request(ctx, AS_OF)  # the same request again: taken up once
    assert await ctx.pool.fetchval("SELECT count(*) FROM reviews WHERE review_id = $1", review_id) == 1

    worker = reviews.ReviewWorker(chunk=100)
    assert await worker.pass_once(ctx)
    first = await ctx.pool.fetchrow("SELECT * FROM review_progress WHERE review_id = $1", review_id)
    assert (first["status"], first["reviewed"]) == ("running", 100)

    # a chunk that fails half way (the process dies, the database goes) leaves nothing behind
    with pytest.raises(RuntimeError):
        async with ctx.pool.acquire() as conn, conn.transaction():
            await reviews.review_chunk(conn, review_id, AS_OF, 100)
            raise RuntimeError("crash after the chunk's statements, before its commit")
    assert (await ctx.pool.fetchrow("SELECT * FROM review_progress WHERE review_id = $1", review_id))["reviewed"] == 100

    while await worker.pass_once(ctx):
        pass
    done = await ctx.pool.fetchrow("SELECT * FROM review_progress WHERE review_id = $1", review_id)
    outcomes = {r["recipient_id"]: r["outcome"] for r in await ctx.pool.fetch(
        "SELECT recipient_id, outcome FROM review_outcomes WHERE review_id = $1", review_id)}
    assert done["status"] == "done" and done["reviewed"] == len(outcomes)
    assert {r: outcomes[r] for r in mine} == expected
    assert done["reviewed"] == done["continued"] + done["adjusted"] + done["changed"] + done["exited"]

    rows = await ctx.pool.fetch("SELECT status, monthly_amount_fen, changed_from, exited_from, next_review_on"
                                " FROM recipients WHERE recipient_id = ANY($1::uuid[])", mine)
    assert {r["next_review_on"] for r in rows} == {date(2023, 12, 15)} and {r["changed_from"] for r in rows} == {"2023-01"}
    assert sorted({(r["status"], r["monthly_amount_fen"], r["exited_from"]) for r in rows}) == [
        ("exited", 0, "2023-01"), ("mla", 92_000, None), ("mla", 162_000, None)]
    events = await ctx.pool.fetch("SELECT application_id, payload FROM outbox WHERE topic = 'aid.recipient.changed'"
                                  " AND application_id = ANY($1::uuid[])", mine)
    assert len(events) == 250  # one per household, keyed by it
    assert all(json.loads(e["payload"])["data"]["review_id"] == str(review_id) for e in events)
    history = await ctx.pool.fetchval("SELECT count(*) FROM recipient_history WHERE recipient_id = ANY($1::uuid[])", mine)
    assert history == 250

    # nothing more to do, and a review of the next day finds nobody due until next year
    assert not await worker.pass_once(ctx)
    later = await request(ctx, date(2022, 12, 16))
    while await worker.pass_once(ctx):
        pass
    assert not await ctx.pool.fetchval("SELECT count(*) FROM review_outcomes WHERE review_id = $1"
                                       " AND recipient_id = ANY($2::uuid[])", later, mine)

"""`jointaid caseload import` against a real PostgreSQL: households, history and outbox events, re-imports, the registries."""
from __future__ import annotations

import json
from datetime import date

import asyncpg
import pytest

from services.caseload import bulk
from services.caseload.amounts import next_period, recipient_id_of, review_due_on
from services.kit.db import migrate
from services.registries import store as registry_store
from services.registries.main import MIGRATIONS as REGISTRY_MIGRATIONS
from tests.caseload_lines import fresh_id, household, jsonl

TODAY = date(2026, 12, 3)  # the 2023 policy (S = 855 yuan) is in force; runs pay from 2027-01


@pytest.fixture
async def database_url(postgres):
    await migrate(postgres.url, "registries", (REGISTRY_MIGRATIONS,))
    return postgres.url


@pytest.fixture
async def conn(database_url):
    connection = await asyncpg.connect(database_url, server_settings={"search_path": "caseload"})
    yield connection
    await connection.close()


async def load(database_url: str, *lines, today: date = TODAY):
    return await bulk.import_lines(database_url, jsonl(*lines).splitlines(keepends=True), today=today)


async def state(conn, *lines: dict) -> dict:
    """Per applicant of `lines`: the recipient row, its history and its outbox events (oldest first)."""
    ids = [recipient_id_of(line["applicant_id_number"]) for line in lines]
    rows = {r["recipient_id"]: dict(r) for r in await conn.fetch(
        "SELECT *, xmin::text AS version FROM recipients WHERE recipient_id = ANY($1::uuid[])", ids)}
    history = await conn.fetch("SELECT * FROM recipient_history WHERE recipient_id = ANY($1::uuid[]) ORDER BY id", ids)
    events = await conn.fetch("SELECT *, id IN (SELECT id FROM outbox_pending) AS pending FROM outbox"
                              " WHERE application_id = ANY($1::uuid[]) ORDER BY id", ids)
    return {i: {"row": rows.get(i), "history": [dict(h) for h in history if h["recipient_id"] == i],
                "events": [dict(e) for e in events if e["application_id"] == i]} for i in ids}


async def test_households_come_in_with_the_amount_by_the_rules_one_history_row_and_one_event(database_url, conn):
    mla = household("mla", (30_000, 30_000))                                     # 855 x 2 - 600 = 1,110 yuan
    poor = household("extreme_poverty", (0,), care_level="semi_disabled")         # 1,120 + 370 yuan
    margin = household("low_income", (60_000, 50_000, 0))                        # no cash
    read, refusals, loaded, policy, first_period = await load(
        database_url, mla, b'{"applicant_id_number": ', poor, {**margin, "nickname": "x"}, margin)

    assert (read, [(r.line, r.rule) for r in refusals][1:]) == (5, [(4, "nickname: unknown field: not part of a caseload line")])
    assert refusals[0].line == 2 and refusals[0].rule.startswith("malformed JSON")
    assert (loaded.households, loaded.inserted, loaded.updated, loaded.unchanged) == (3, 3, 0, 0)
    assert (policy.version, first_period) == ("xihu-2023.1", "2027-01")
    found = await state(conn, mla, poor, margin)
    amounts = {found[recipient_id_of(line["applicant_id_number"])]["row"]["monthly_amount_fen"] for line in (mla, poor, margin)}
    assert amounts == {111_000, 149_000, 0}
    for line in (mla, poor, margin):
        one = found[recipient_id_of(line["applicant_id_number"])]
        row = one["row"]
        assert (row["status"], row["source"], row["first_period"]) == (line["status"], "import", next_period(TODAY))
        assert row["enrolled_on"] == date(2025, 6, 1) and row["next_review_on"] == review_due_on(date(2025, 6, 1))
        assert row["payout_number"] == line["payout_account"]["number"]
        assert [m["id_number"] for m in json.loads(row["members"])] == [m["id_number"] for m in line["members"]]
        assert [(h["change"], h["monthly_amount_fen"], h["effective_period"]) for h in one["history"]] == [
            ("imported", row["monthly_amount_fen"], "2027-01")]
        [event] = one["events"]
        envelope = json.loads(event["payload"])
        assert (event["topic"], event["pending"]) == ("aid.recipient.changed", True)  # for the relay to publish
        assert envelope["event_type"] == "aid.recipient.changed.v1" and envelope["producer"] == "caseload"
        assert envelope["application_id"] == str(row["recipient_id"])  # the Kafka key: recipient_id
        assert {k: envelope["data"][k] for k in ("change", "status", "monthly_amount_fen", "members", "effective_period")} == {
            "change": "imported", "status": line["status"], "monthly_amount_fen": row["monthly_amount_fen"],
            "members": len(line["members"]), "effective_period": "2027-01"}
        assert not any(m["id_number"] in event["payload"].decode() for m in line["members"])  # no personal data
    facts = json.loads(found[recipient_id_of(poor["applicant_id_number"])]["row"]["facts"])
    assert (facts["residence"], facts["has_supporter"], facts["financial_assets_fen"], facts["owns_vehicle"]) == (
        "hukou", False, 0, False)


async def test_the_same_file_again_changes_nothing(database_url, conn):
    lines = [household("mla", (10_000,)), household("extreme_poverty", (0, 0))]
    await load(database_url, *lines)
    before = await state(conn, *lines)
    read, refusals, loaded, _, _ = await load(database_url, *lines, today=date(2026, 12, 20))  # ages move on: no matter
    assert (read, refusals, loaded.households, loaded.unchanged, loaded.inserted, loaded.updated) == (2, [], 2, 2, 0, 0)
    assert await state(conn, *lines) == before  # same rows (same versions: not rewritten), no history row, no event


async def test_a_changed_line_updates_from_the_next_period_and_keeps_this_months_terms(database_url, conn):
    line = household("mla", (30_000, 30_000))
    await load(database_url, line)
    changed = {**line, "members": [{**line["members"][0], "monthly_income_fen": 50_000}, line["members"][1]]}
    _, _, loaded, _, _ = await load(database_url, changed, today=date(2027, 2, 10))
    assert (loaded.inserted, loaded.updated, loaded.unchanged) == (0, 1, 0)
    one = (await state(conn, line))[recipient_id_of(line["applicant_id_number"])]
    row = one["row"]
    assert row["monthly_amount_fen"] == 171_000 - 80_000
    # paid since 2027-01; February is still paid by the terms in force when it began, the new amount from March
    assert (row["first_period"], row["changed_from"], row["prior_status"]) == ("2027-01", "2027-03", "mla")
    assert json.loads(row["prior_facts"])["monthly_income_fen"] == 60_000
    assert [(h["change"], h["monthly_amount_fen"], h["effective_period"]) for h in one["history"]] == [
        ("imported", 111_000, "2027-01"), ("imported", 91_000, "2027-03")]
    assert [json.loads(e["payload"])["data"]["effective_period"] for e in one["events"]] == ["2027-01", "2027-03"]


async def test_within_a_file_the_last_line_of_a_household_wins(database_url, conn):
    first = household("mla", (30_000,))
    later = {**first, "members": [{**first["members"][0], "monthly_income_fen": 20_000}]}
    read, _, loaded, _, _ = await load(database_url, first, later)
    assert (read, loaded.households, loaded.inserted) == (2, 1, 1)
    one = (await state(conn, first))[recipient_id_of(first["applicant_id_number"])]
    assert one["row"]["monthly_amount_fen"] == 85_500 - 20_000 and len(one["history"]) == len(one["events"]) == 1


async def test_the_registries_win_and_a_registered_death_refuses_the_line(database_url, conn):
    applicant, spouse, gone = fresh_id(), fresh_id(), fresh_id()
    line = household("mla", (30_000, 30_000), ids=[applicant, spouse])
    dead = household("mla", (0,), ids=[gone])
    registry = await asyncpg.connect(database_url, server_settings={"search_path": "registries"})
    try:
        async with registry.transaction():
            await registry_store.load(registry, [
                (1, applicant, "h", "610630", True, None, 50_000, 3_000_000, 0),   # earns more, holds 30,000 yuan
                (2, gone, "h2", "610630", False, None, 0, 0, 0),                   # deceased
            ])
    finally:
        await registry.close()
    _, refusals, loaded, _, _ = await load(database_url, line, dead)
    assert [(r.line, r.rule) for r in refusals] == [
        (2, "applicant_id_number: the population registry records the applicant as deceased")]
    assert (loaded.households, loaded.inserted) == (1, 1)
    one = (await state(conn, line))[recipient_id_of(applicant)]
    facts = json.loads(one["row"]["facts"])
    assert one["row"]["monthly_amount_fen"] == 171_000 - 80_000  # the registry's 500 yuan, the spouse's declared 300
    assert [m["declared_only"] for m in facts["members"]] == [False, True]
    assert (facts["financial_assets_fen"], facts["owns_vehicle"]) == (3_000_000, False)  # raised to what it shows
    assert "the income registry shows 500.00 yuan" in one["history"][0]["reason"]


async def test_a_monthly_status_the_rules_pay_nothing_is_counted_and_imported(database_url, conn):
    line = household("mla", (90_000,))  # income above S x 1
    _, _, loaded, _, _ = await load(database_url, line)
    assert (loaded.inserted, loaded.zero_amount) == (1, 1)
    row = (await state(conn, line))[recipient_id_of(line["applicant_id_number"])]["row"]
    assert (row["status"], row["monthly_amount_fen"]) == ("mla", 0)


async def test_a_household_that_had_exited_comes_back_from_the_imports_first_period(database_url, conn):
    line = household("mla", (30_000,))
    await load(database_url, line)
    await conn.execute("UPDATE recipients SET status = 'exited', exited_from = '2027-02' WHERE recipient_id = $1",
                       recipient_id_of(line["applicant_id_number"]))
    changed = {**line, "members": [{**line["members"][0], "monthly_income_fen": 10_000}]}
    _, _, loaded, _, _ = await load(database_url, changed, today=date(2027, 5, 5))
    row = (await state(conn, line))[recipient_id_of(line["applicant_id_number"])]["row"]
    assert loaded.updated == 1
    assert (row["status"], row["exited_from"], row["first_period"], row["changed_from"], row["prior_status"]) == (
        "mla", None, "2027-06", None, None)


async def test_intakes_views_cannot_be_written_through(database_url, conn):
    await load(database_url, household("mla", (30_000,)))  # a row for the triggers to refuse
    for statement in ("UPDATE recipients_read SET monthly_amount_fen = 1",
                      "DELETE FROM recipient_history_read",
                      "INSERT INTO recipients_read(recipient_id) VALUES (gen_random_uuid())"):
        with pytest.raises(asyncpg.RaiseError, match="read-only"):
            await conn.execute(statement)
    assert "payout_number" not in {r["column_name"] for r in await conn.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'caseload' AND table_name = 'recipients_read'")}

"""`jointaid monitor import` against a real PostgreSQL: every lead rule just below, at and above its threshold,
one open lead per household, no lead for a recipient or an application in progress, unknown people, bad rows."""
from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import pytest

from services.caseload.main import MIGRATIONS as CASELOAD_MIGRATIONS
from services.discovery import bulk
from services.discovery.store import MIGRATIONS as DISCOVERY_MIGRATIONS
from services.intake import main as intake_main
from services.kit.db import migrate
from services.registries.main import MIGRATIONS as REGISTRY_MIGRATIONS
from tests.caseload_lines import fresh_id
from tests.signal_files import add_people, household_people, signal, write_csv, write_parquet

AS_OF = date(2026, 11, 30)  # the 2023 policy: a 90-day window, 50% of the annual income, a 30% drop, grades 1-2
DAY = "2026-11-20"


@pytest.fixture
async def database_url(postgres):
    for schema, folder in (("registries", REGISTRY_MIGRATIONS), ("caseload", CASELOAD_MIGRATIONS),
                           ("intake", Path(intake_main.__file__).parent / "migrations"), ("discovery", DISCOVERY_MIGRATIONS)):
        await migrate(postgres.url, schema, (folder,))
    return postgres.url


@pytest.fixture
async def conn(database_url):
    connection = await asyncpg.connect(database_url, server_settings={"search_path": "discovery"})
    yield connection
    await connection.close()


@pytest.fixture
def load(database_url, tmp_path):
    files = iter(range(1_000_000))

    async def run(rows, *, as_of: date = AS_OF, parquet: bool = False):
        path = tmp_path / f"signals-{next(files)}.{'parquet' if parquet else 'csv'}"
        (write_parquet if parquet else write_csv)(path, rows)
        return await bulk.import_file(database_url, path, as_of=as_of)
    return run


async def household(conn, *incomes: int, **options) -> tuple[str, list[str]]:
    household_id, rows = household_people(incomes, **options)
    await add_people(conn, rows)
    return household_id, [r[0] for r in rows]


async def lead_of(conn, household_id: str):
    return await conn.fetchrow("SELECT * FROM lead_view WHERE household_id = $1 AND status = 'open'", household_id)


async def rules_of(conn, household_id: str) -> list[str]:
    lead = await lead_of(conn, household_id)
    return [] if lead is None else [r["rule"] for r in json.loads(lead["rules"])]


async def test_medical_spending_just_below_at_and_above_half_the_annual_income(conn, load):
    # 2,500 yuan a month -> 30,000 yuan a year; 50% = 15,000.00 yuan = 1,500,000 fen, in two bills
    below, [b1] = await household(conn, 250_000)
    at, [a1, a2] = await household(conn, 150_000, 100_000)
    above, [c1] = await household(conn, 250_000)
    summary = await load([signal(b1, "medical_spending", 1_000_000), signal(b1, "medical_spending", 499_999),
                          signal(a1, "medical_spending", 1_000_000), signal(a2, "medical_spending", 500_000),
                          signal(c1, "medical_spending", 1_680_000)])
    assert (summary.refused, summary.loaded.loaded, summary.loaded.leads) == (0, 5, 2)
    assert await rules_of(conn, below) == []
    assert await rules_of(conn, at) == await rules_of(conn, above) == ["medical_spending"]
    [rule] = json.loads((await lead_of(conn, above))["rules"])
    assert rule["figures"] == ("medical spending 16,800.00 yuan in 90 days ≥ 50% of the household's annual income "
                               "30,000.00 yuan")
    assert rule["figures_zh"] == "近90天自付医疗费用16,800.00元，达到家庭年收入30,000.00元的50%"
    bills = await conn.fetch("SELECT * FROM lead_bills WHERE lead_id = $1 ORDER BY amount_fen",
                             (await lead_of(conn, at))["lead_id"])
    assert [(b["member_id_number"], b["amount_fen"]) for b in bills] == [(a2, 500_000), (a1, 1_000_000)]


async def test_the_window_is_the_as_of_day_and_the_89_before_and_bills_add_up_across_imports(conn, load):
    household_id, [person] = await household(conn, 100_000)  # 12,000 yuan a year: 6,000 yuan fires
    outside = (AS_OF - timedelta(days=90)).isoformat()
    first = (AS_OF - timedelta(days=89)).isoformat()
    await load([signal(person, "medical_spending", 300_000, observed_on=outside),
                signal(person, "medical_spending", 300_000, observed_on=first)])
    assert await rules_of(conn, household_id) == []  # 3,000 yuan inside the window
    await load([signal(person, "medical_spending", 300_000, observed_on=AS_OF.isoformat())])
    assert await rules_of(conn, household_id) == ["medical_spending"]  # 6,000 yuan now
    lead = await lead_of(conn, household_id)
    bills = await conn.fetch("SELECT observed_on FROM lead_bills WHERE lead_id = $1 ORDER BY observed_on", lead["lead_id"])
    assert [b["observed_on"] for b in bills] == [AS_OF - timedelta(days=89), AS_OF]


async def test_a_household_with_no_income_and_a_bill_is_a_lead_but_not_without_a_bill(conn, load):
    household_id, [person] = await household(conn, 0)
    await load([signal(person, "medical_spending", 0)])
    assert await rules_of(conn, household_id) == []  # spending > 0 required
    await load([signal(person, "medical_spending", 1, observed_on="2026-11-21")])
    assert await rules_of(conn, household_id) == ["medical_spending"]


async def test_income_drop_just_below_at_and_above_30_percent(conn, load):
    # 3,000 + 2,000 yuan a month = 5,000; the first member's new income replaces the registry's
    below, [b1, _] = await household(conn, 300_000, 200_000)
    at, [a1, _] = await household(conn, 300_000, 200_000)
    above, [c1, _] = await household(conn, 300_000, 200_000)
    await load([signal(b1, "income_drop", 150_001, source="tax"), signal(a1, "income_drop", 150_000, source="tax"),
                signal(c1, "income_drop", 50_000, source="tax")])
    assert await rules_of(conn, below) == []
    assert await rules_of(conn, at) == await rules_of(conn, above) == ["income_drop"]
    [rule] = json.loads((await lead_of(conn, at))["rules"])
    assert rule["figures"] == "household monthly income down 30% (from 5,000.00 to 3,500.00 yuan) ≥ 30%"
    assert rule["figures_zh"] == "家庭月收入由5,000.00元降至3,500.00元，下降30%，达到30%"


async def test_no_income_in_the_registries_cannot_drop(conn, load):
    household_id, [person] = await household(conn, 0)
    await load([signal(person, "income_drop", 0, source="tax")])
    assert await rules_of(conn, household_id) == []


async def test_disability_grade_3_is_not_a_lead_2_and_1_are_and_the_registry_grade_counts_without_one(conn, load):
    below, [b] = await household(conn, 100_000)
    at, [a] = await household(conn, 100_000)
    above, [c] = await household(conn, 100_000)
    registry, [r] = await household(conn, 100_000, grades=(2,))
    await load([signal(b, "disability", grade=3, source="disability"), signal(a, "disability", grade=2, source="disability"),
                signal(c, "disability", grade=1, source="disability"), signal(r, "disability", source="disability")])
    assert await rules_of(conn, below) == []
    assert await rules_of(conn, at) == await rules_of(conn, above) == await rules_of(conn, registry) == ["disability"]
    [rule] = json.loads((await lead_of(conn, at))["rules"])
    assert (rule["figures"], rule["figures_zh"]) == ("a new disability assessment of grade 2 (grades 1-2)",
                                                      "新评定残疾等级2级（1-2级）")


async def test_death_of_a_member_without_income_is_not_a_lead_with_one_fen_or_more_it_is(conn, load):
    below, [b, _] = await household(conn, 0, 100_000)
    at, [a, _] = await household(conn, 1, 100_000)
    above, [c, _] = await household(conn, 300_000, 100_000)
    await load([signal(b, "death", source="population"), signal(a, "death", source="population"),
                signal(c, "death", source="population")])
    assert await rules_of(conn, below) == []
    assert await rules_of(conn, at) == await rules_of(conn, above) == ["death"]
    [rule] = json.loads((await lead_of(conn, above))["rules"])
    assert rule["figures"] == "death of a member with a monthly income of 3,000.00 yuan"


async def test_a_report_is_always_a_lead_with_the_rules_that_fired_together(conn, load):
    household_id, [person, other] = await household(conn, 1_000_000, 0)
    await load([signal(person, "report", source="hotline_12345"), signal(other, "disability", grade=1, source="dpf")])
    assert await rules_of(conn, household_id) == ["disability", "report"]
    lead = await lead_of(conn, household_id)
    assert (lead["person_id_number"], sorted(lead["member_id_numbers"])) == (person, sorted([person, other]))
    assert (lead["region_code"], lead["outcome"], lead["application_id"]) == ("610630", None, None)


async def test_one_open_lead_per_household_and_the_same_file_again_raises_nothing(conn, load):
    household_id, [person, other] = await household(conn, 100_000, 100_000)
    rows = [signal(person, "report", source="hotline")]
    first = await load(rows)
    events = await conn.fetchval("SELECT count(*) FROM outbox WHERE topic = 'aid.lead.raised'")
    again = await load(rows)
    assert (first.loaded.leads, again.loaded.loaded, again.loaded.duplicates, again.loaded.leads) == (1, 0, 1, 0)
    later = await load([signal(other, "death", source="population")])  # a new signal: the household has its open lead
    assert (later.loaded.loaded, later.loaded.leads, later.loaded.skipped["open_lead"]) == (1, 0, 1)
    assert await conn.fetchval("SELECT count(*) FROM leads WHERE household_id = $1", household_id) == 1
    assert await conn.fetchval("SELECT count(*) FROM outbox WHERE topic = 'aid.lead.raised'") == events


async def test_a_raised_lead_has_one_event_keyed_by_the_lead_without_personal_data(conn, load):
    household_id, [person] = await household(conn, 100_000)
    await load([signal(person, "report", source="crowdfunding")])
    lead = await lead_of(conn, household_id)
    [event] = await conn.fetch("SELECT * FROM outbox WHERE application_id = $1", lead["lead_id"])
    envelope = json.loads(event["payload"])
    assert (event["topic"], envelope["event_type"], envelope["producer"]) == ("aid.lead.raised", "aid.lead.raised.v1",
                                                                              "discovery")
    assert envelope["data"]["members"] == 1 and envelope["data"]["region_code"] == "610630"
    assert [r["rule"] for r in envelope["data"]["rules"]] == ["report"]
    assert person not in event["payload"].decode() and household_id not in event["payload"].decode()


async def insert_recipient(database_url: str, status: str, member_ids: list[str]) -> None:
    from services.caseload import store as caseload_store
    from services.caseload.amounts import recipient_id_of

    conn = await asyncpg.connect(database_url, server_settings={"search_path": "caseload"})
    try:
        await caseload_store.enrol(
            conn, recipient_id=recipient_id_of(member_ids[0]), applicant_id_number=member_ids[0], status=status,
            amount_fen=50_000, members=[{"id_number": i, "name": "Member", "relation": "self"} for i in member_ids],
            facts_json="{}", region_code="610630", payout_kind="social_security_card", payout_number="6217000011112222",
            language="zh", enrolled_on=date(2025, 6, 1), next_review_on=date(2026, 6, 1), first_period="2025-07",
            source="import", application_id=None, change="enrolled", reason="", reason_zh="")
    finally:
        await conn.close()


async def test_no_lead_for_a_recipient_of_what_the_signal_points_to_but_for_what_it_does_not_cover(
        conn, load, database_url):
    covered, [c1, c2] = await household(conn, 300_000, 200_000)
    medical, [m1] = await household(conn, 100_000)
    exited, [e1] = await household(conn, 300_000)
    await insert_recipient(database_url, "mla", [c1, c2])
    await insert_recipient(database_url, "low_income", [m1])
    await insert_recipient(database_url, "exited", [e1])
    summary = await load([signal(c2, "income_drop", 0, source="tax"),
                          signal(m1, "medical_spending", 800_000),
                          signal(e1, "income_drop", 0, source="tax")])
    assert await rules_of(conn, covered) == []  # the allowance answers a lost income
    assert await rules_of(conn, medical) == ["medical_spending"]  # it does not pay bills
    assert await rules_of(conn, exited) == ["income_drop"]  # no longer a recipient
    assert summary.loaded.skipped["recipient"] == 1


async def test_no_lead_while_an_application_is_in_progress_one_when_it_is_final(conn, load, database_url):
    busy, [applicant, member] = await household(conn, 100_000, 100_000)
    done, [finished] = await household(conn, 100_000)
    intake = await asyncpg.connect(database_url, server_settings={"search_path": "intake"})
    try:
        for status, ids in (("deciding", [applicant, member]), ("notified", [finished])):
            submission = {"applicant_id_number": ids[0], "household": {"members": [{"id_number": i} for i in ids]}}
            await intake.execute("INSERT INTO applications(application_id, status, status_rank, submission)"
                                 " VALUES (gen_random_uuid(), $1, 1, $2)", status, json.dumps(submission))
    finally:
        await intake.close()
    summary = await load([signal(member, "report", source="hotline"), signal(finished, "report", source="hotline")])
    assert await rules_of(conn, busy) == []
    assert await rules_of(conn, done) == ["report"]
    assert summary.loaded.skipped["application_in_progress"] == 1


async def test_a_stranger_is_counted_and_kept_not_a_lead(conn, load):
    stranger = fresh_id("150000")
    summary = await load([signal(stranger, "report", source="hotline")])
    assert (summary.loaded.loaded, summary.loaded.unknown, summary.loaded.leads) == (1, 1, 0)
    assert await conn.fetchval("SELECT household_id FROM signals WHERE id_number = $1", stranger) is None


async def test_malformed_rows_are_refused_by_row_number_and_rule_and_the_rest_is_loaded(conn, load):
    household_id, [person] = await household(conn, 100_000)
    rows = [signal(person, "report", source="hotline"),
            signal("110105198001011234", "report", source="hotline"),      # row 3: check digit
            signal(person, "income_drop", source="tax"),                     # row 4: amount missing
            f"{person},report,,2026-11-20",                                  # row 5: a field short
            signal(person, "medical_spending", -5),                          # row 6: negative
            signal(person, "death", observed_on="2999-01-01", source="x"),   # row 7: future
            signal(person, "disability", grade=7, source="dpf")]             # row 8: grade
    summary = await load(rows)
    assert (summary.read, summary.refused, summary.loaded.loaded, summary.loaded.leads) == (7, 6, 1, 1)
    assert [(r.line, r.field) for r in summary.refusals] == [
        (3, "id_number"), (4, "amount_fen"), (5, None), (6, "amount_fen"), (7, "observed_on"), (8, "grade")]
    text = bulk.summary_text(summary)
    assert "row 3: id_number: ID number check digit is wrong (GB 11643)" in text and person not in text
    assert person not in json.dumps(summary.as_json())


async def test_parquet_is_read_like_csv(conn, load):
    household_id, [person] = await household(conn, 100_000)
    summary = await load([signal(person, "medical_spending", 700_000), signal(person, "report", source="hotline")],
                         parquet=True)
    assert (summary.format, summary.read, summary.refused, summary.loaded.leads) == ("parquet", 2, 0, 1)
    assert await rules_of(conn, household_id) == ["medical_spending", "report"]


async def test_an_as_of_day_uses_its_window_and_signals_after_it_are_refused(conn, load):
    household_id, [person] = await household(conn, 100_000)
    summary = await load([signal(person, "report", observed_on="2026-11-01", source="hotline"),
                          signal(person, "report", observed_on="2026-11-03", source="hotline")],
                         as_of=date(2026, 11, 2))
    assert (summary.refused, summary.refusals[0].field, summary.loaded.leads) == (1, "observed_on", 1)
    assert (await lead_of(conn, household_id))["raised_at"] is not None

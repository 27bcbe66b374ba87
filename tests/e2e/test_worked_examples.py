"""The four worked examples through HTTP on the running system, exact to the fen."""
from __future__ import annotations

import asyncio

import asyncpg
import pytest

from tests.conftest import EXAMPLES, EXPECTED


def approved_amounts(view: dict) -> dict[str, int]:
    return {d["program"]: d["amount_fen"] for d in view["decisions"] if d["outcome"] == "approved"}


@pytest.fixture(scope="module")
def notified(worked_examples):
    """All four submitted (once per session, see conftest.worked_examples) and notified."""
    return worked_examples


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_worked_example_amounts(notified, name):
    view, want = notified[name], EXPECTED[name]
    got = approved_amounts(view)
    for program, amount in want["programs"].items():
        assert got.get(program, 0) == amount, f"{name}: {program}"
    assert len(view["decisions"]) == 5
    payment = view["payment"]
    assert payment["total_fen"] == want["total_fen"]
    assert sum(line["amount_fen"] for line in payment["lines"]) == payment["total_fen"]
    assert view["notification"]["text"]
    assert view["rejection"] is None


def test_worked_example_status_program(notified):
    """Layer 1's program is the household status (none shows as a denied mla decision)."""
    for name, view in notified.items():
        layer1 = view["decisions"][0]
        status = EXPECTED[name]["status"]
        assert layer1["department"] == "civil_affairs"
        assert layer1["program"] == ("mla" if status == "none" else status)
        assert layer1["outcome"] == ("denied" if status == "none" else "approved")


def test_example_b_has_one_payment_and_one_notification(system, notified):
    """Through the real database: exactly one payment row and one message for example B."""
    application_id = notified["B"]["application_id"]

    async def counts():
        conn = await asyncpg.connect(system.database_url)
        try:
            payments = await conn.fetchval("SELECT count(*) FROM disbursement.payments WHERE application_id = $1::uuid", application_id)
            messages = await conn.fetchval("SELECT count(*) FROM notification.messages WHERE application_id = $1::uuid", application_id)
            total = await conn.fetchval("SELECT total_fen FROM disbursement.payments WHERE application_id = $1::uuid", application_id)
            return payments, messages, total
        finally:
            await conn.close()

    assert asyncio.run(counts()) == (1, 1, EXPECTED["B"]["total_fen"])
    view = notified["B"]
    assert view["status"] == "notified"
    assert view["payment"]["lines"] == [{"department": "civil_affairs", "program": "temporary_assistance", "amount_fen": 1_000_000}]
    assert "10,000.00" in view["notification"]["text"]

"""Bad input against the running API: 422 with field errors, and nothing stored or published."""
from __future__ import annotations

import asyncio
import copy

import asyncpg
import httpx
import pytest

from tests.conftest import EXAMPLES


def footprint(system) -> tuple[int, int]:
    """Applications stored and events queued by intake: both must not move on a refusal."""
    async def read():
        conn = await asyncpg.connect(system.database_url)
        try:
            return (await conn.fetchval("SELECT count(*) FROM intake.applications"),
                    await conn.fetchval("SELECT count(*) FROM intake.outbox"))
        finally:
            await conn.close()
    return asyncio.run(read())


def mutated(change) -> dict:
    body = copy.deepcopy(EXAMPLES["B"])
    change(body)
    return body


BAD_BODIES = {
    "check digit": (mutated(lambda b: b.update(applicant_id_number=b["applicant_id_number"][:-1] + "0")), "applicant_id_number"),
    "applicant not a member": (mutated(lambda b: b["household"]["members"].pop(0)), "applicant_id_number"),
    "same ID twice": (mutated(lambda b: b["household"]["members"].append(dict(b["household"]["members"][1]))), "household.members.3.id_number"),
    "no consent": (mutated(lambda b: b["consent"].update(given=False)), "consent.given"),
    "negative money": (mutated(lambda b: b["household"].update(financial_assets_fen=-1)), "household.financial_assets_fen"),
    "float money": (mutated(lambda b: b["household"].update(financial_assets_fen=10.5)), "household.financial_assets_fen"),
    "unknown residence": (mutated(lambda b: b.update(residence="moon")), "residence"),
    "missing field": (mutated(lambda b: b.pop("payout_account")), "payout_account"),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_refused_with_field_error_and_nothing_stored(system, case):
    body, field = BAD_BODIES[case]
    before = footprint(system)
    with system.client() as client:
        answer = client.post("/v1/applications", json=body)
    assert answer.status_code == 422
    errors = answer.json()
    assert isinstance(errors, list) and errors
    assert all(set(e) == {"field", "message"} and e["message"] for e in errors)
    assert field in [e["field"] for e in errors]
    assert footprint(system) == before


def test_malformed_json_is_refused(system):
    before = footprint(system)
    with system.client() as client:
        answer = client.post("/v1/applications", content=b'{"applicant_id_number": ', headers={"Content-Type": "application/json"})
    assert answer.status_code == 422
    assert answer.json()[0]["field"] == "body"
    assert "JSON" in answer.json()[0]["message"]
    assert footprint(system) == before


def test_unknown_application_is_404(system):
    with system.client() as client:
        assert client.get("/v1/applications/00000000-0000-0000-0000-000000000000").status_code == 404
        assert client.get("/v1/applications/not-a-uuid").status_code == 422


def test_idempotency_key_same_body_same_answer_different_body_409(system):
    body = copy.deepcopy(EXAMPLES["C"])
    with system.client() as client:
        first = client.post("/v1/applications", json=body, headers={"Idempotency-Key": "k-e2e-1"})
        again = client.post("/v1/applications", json=body, headers={"Idempotency-Key": "k-e2e-1"})
        other = client.post("/v1/applications", json=EXAMPLES["D"], headers={"Idempotency-Key": "k-e2e-1"})
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert other.status_code == 409


def test_one_key_sent_at_once_by_many_clients_stores_one_application(system):
    """Concurrent retries of one key meet at the key (its insert waits for the first), and only one stores."""
    body = copy.deepcopy(EXAMPLES["A"])
    before = footprint(system)

    async def send_all():
        async with httpx.AsyncClient(base_url=system.base, headers={"Authorization": f"Bearer {system.token('caseworker')}"}) as client:
            return await asyncio.gather(*(client.post("/v1/applications", json=body, headers={"Idempotency-Key": "k-e2e-race"})
                                          for _ in range(8)))
    answers = asyncio.run(send_all())
    assert {answer.status_code for answer in answers} == {202}
    assert len({answer.json()["application_id"] for answer in answers}) == 1
    assert footprint(system)[0] == before[0] + 1
    with system.client() as client:
        refused = client.post("/v1/applications", json=EXAMPLES["D"], headers={"Idempotency-Key": "k-e2e-race"})
    assert refused.status_code == 409
    assert footprint(system)[0] == before[0] + 1

"""Services beside cash, end to end: a running system whose simulated providers have no capacity for home
repair. One application asks for counselling and home repair (one fulfilled, one refused), an extreme-poverty
household with a disabled member gets care without asking, and both see it in the view and in the one notice."""
from __future__ import annotations

import asyncio
import copy
import time

import asyncpg
import pytest

from tests.conftest import EXAMPLES
from tests.e2e.conftest import start_system, stop_system


@pytest.fixture(scope="module")
def providers(tmp_path_factory):
    running = start_system(tmp_path_factory.mktemp("referrals") / "data", env_extra={"JOINTAID_PROVIDER_REFUSE": "home_repair"})
    yield running
    stop_system(running)


def messages_of(system, application_id: str) -> int:
    async def count() -> int:
        conn = await asyncpg.connect(system.database_url)
        try:
            return await conn.fetchval("SELECT count(*) FROM notification.messages WHERE application_id = $1::uuid",
                                       application_id)
        finally:
            await conn.close()
    return asyncio.run(count())


def test_one_service_fulfilled_one_refused_in_the_view_and_the_one_notice(providers):
    body = copy.deepcopy(EXAMPLES["A"])
    body["needs"]["services"] = ["home_repair", "counselling"]
    started = time.monotonic()
    application_id = providers.submit(body)
    view = providers.wait_status(application_id)
    print(f"submitted to notified with two referrals: {time.monotonic() - started:.2f} s")
    assert view["referrals"] == [
        {"service": "counselling", "provider": "counselling-centre-610630", "status": "fulfilled"},
        {"service": "home_repair", "provider": "home-adaptation-team-610630", "status": "refused"},
    ]
    text = view["notification"]["text"]
    assert "服务转介：\n- 心理疏导：已安排，由 counselling-centre-610630 提供\n" in text
    assert "- 居家改造：未能安排（服务机构暂无居家改造名额），可向受理窗口另行申请\n" in text
    assert view["payment"]["total_fen"] == 1_119_750  # the cash is decided as without services
    assert messages_of(providers, application_id) == 1


def test_a_disabled_member_of_an_extreme_poverty_household_gets_care_without_asking(providers):
    body = copy.deepcopy(EXAMPLES["C"])
    body["household"]["members"][0]["care_level"] = "disabled"
    body["language"] = "en"
    application_id = providers.submit(body)
    view = providers.wait_status(application_id)
    assert [d["program"] for d in view["decisions"]][0] == "extreme_poverty"
    assert view["referrals"] == [{"service": "care", "provider": "home-care-centre-360104", "status": "fulfilled"}]
    assert ("Services beside the payment:\n- care: arranged, provided by home-care-centre-360104"
            " (arranged by rule, without asking)\n") in view["notification"]["text"]
    assert messages_of(providers, application_id) == 1


def test_no_services_asked_none_due_no_referrals_and_no_such_part(providers):
    application_id = providers.submit(copy.deepcopy(EXAMPLES["B"]))
    view = providers.wait_status(application_id)
    assert view["referrals"] == []
    assert "服务转介" not in view["notification"]["text"]

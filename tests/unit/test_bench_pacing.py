"""The bench's offered-load mode: submissions start on their schedule, never more in flight than allowed."""
from __future__ import annotations

import asyncio
import time

import httpx

from jointaid.bench import Submitted, _paced, _Progress


def submit_paced(count: int, rate: float, cap: int, answer_after: float) -> tuple[Submitted, list[float], int]:
    """Run `_paced` against an in-process HTTP answerer (the load client alone is under test here). `starts` holds
    when each request reached the answerer, counted from just before `_paced` began."""
    in_flight, most, starts = 0, 0, []
    began = 0.0

    async def server(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        starts.append(time.monotonic() - began)
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(answer_after)
        in_flight -= 1
        return httpx.Response(202, json={"application_id": f"id-{len(starts)}"})

    async def run() -> Submitted:
        nonlocal began
        result = Submitted()
        clients = [httpx.AsyncClient(base_url="http://bench.test", transport=httpx.MockTransport(server)) for _ in range(cap)]
        began = time.monotonic()
        await _paced([{}] * count, rate, clients, result, _Progress("submitted", count))
        await asyncio.gather(*(client.aclose() for client in clients))
        return result

    return asyncio.run(run()), starts, most


def test_paced_submissions_start_on_their_schedule_not_all_at_once():
    result, starts, _ = submit_paced(20, rate=100.0, cap=32, answer_after=0.0)
    assert len(result.ids) == 20 and not result.failures
    # The schedule counts from when _paced began, so measure from there: the first request's own latency must not
    # count against the last one (CI once saw 0.18999919 s between the first and last start). Unpaced: ~1 ms.
    assert starts[-1] >= 19 / 100


def test_paced_submissions_never_exceed_the_in_flight_cap():
    result, _, most = submit_paced(20, rate=1000.0, cap=3, answer_after=0.03)  # answers slower than the schedule
    assert len(result.ids) == 20 and not result.failures
    assert most == 3

"""A Wakeable's round knows why it runs: woken (work was handed to it) or idle (nothing came for idle_seconds).
The relay polls the table only when asked to or idle, not on every hand's wake."""
import asyncio

from services.kit.worker import Wakeable


async def test_a_round_knows_whether_it_was_woken_or_ran_idle():
    worker = Wakeable("probe", idle_seconds=0.05)
    seen: list[bool] = []

    async def round() -> bool:
        seen.append(worker.idle)
        if len(seen) == 3:
            raise asyncio.CancelledError
        return False

    async def wake_soon():
        await asyncio.sleep(0.005)
        worker.wake()

    waker = asyncio.create_task(wake_soon())
    try:
        await worker.loop(round)
    except asyncio.CancelledError:
        pass
    await waker
    # the first round runs at once (not idle), the second because it was woken, the third after idle_seconds
    assert seen == [False, False, True]

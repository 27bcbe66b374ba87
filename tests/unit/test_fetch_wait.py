"""A consumer's fetch wait follows its load (services/kit/fetch_wait.py): short while records come slowly, the
configured long wait once they come at the busy rate, short again when they slow down."""
from __future__ import annotations

from services.kit.fetch_wait import LoadFollowingWait


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_wait_is_short_when_quiet_long_when_busy_and_short_again():
    clock = Clock()
    wait = LoadFollowingWait(busy_ms=250, quiet_ms=100, busy_per_second=50, window=1.0, clock=clock)
    assert wait.wait_ms == 100  # a consumer starts quiet
    clock.now += 1.0
    assert wait.observe(10) == 100  # 10 records in a second
    clock.now += 1.0
    assert wait.observe(200) == 250  # 200 in the next one: busy
    clock.now += 0.4
    assert wait.observe(0) == 250  # within the window: kept
    clock.now += 1.5  # an empty get after a quiet spell
    assert wait.observe(0) == 100


def test_the_decision_waits_for_a_whole_window():
    clock = Clock()
    wait = LoadFollowingWait(busy_ms=250, quiet_ms=100, busy_per_second=50, window=1.0, clock=clock)
    clock.now += 0.5
    assert wait.observe(500) == 100  # half a window: not judged yet
    clock.now += 0.5
    assert wait.observe(0) == 250


def test_the_quiet_wait_is_never_longer_than_the_busy_one():
    assert LoadFollowingWait(busy_ms=50, quiet_ms=100).wait_ms == 50

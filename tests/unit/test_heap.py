import gc

import pytest

from services.kit import heap


@pytest.fixture
def restored_gc():
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_settling_freezes_the_start_up_heap_and_collects_the_young_less_often(restored_gc):
    gc.unfreeze()
    _, middle, old = gc.get_threshold()
    start_up = [object() for _ in range(10)]  # something alive at start-up, tracked by the collector
    heap.settle_after_start()
    assert gc.get_freeze_count() >= len(start_up)
    assert gc.get_threshold() == (heap.YOUNG_THRESHOLD, middle, old)


def test_cycles_made_after_settling_are_still_collected(restored_gc):
    heap.settle_after_start()
    collected = []

    class Node:
        def __del__(self):
            collected.append(self.name)

    a, b = Node(), Node()
    a.name, b.name, a.other, b.other = "a", "b", b, a  # a cycle: reference counting alone never frees it
    del a, b
    gc.collect()
    assert sorted(collected) == ["a", "b"]

"""After a committed batch the consumer wakes the relay, the workers woken after every batch, and only those
workers whose `wake_on` names an event type the batch handled (services/kit/consumer.py `committed`)."""
from __future__ import annotations

from types import SimpleNamespace

from services.kit.consumer import committed


class Relay:
    def __init__(self) -> None:
        self.handed = []

    def hand(self, ids, rows) -> None:
        self.handed.append((ids, rows))


def context(woken: list[str]):
    return SimpleNamespace(
        relay=Relay(),
        after_commit=(lambda: woken.append("settler"),),
        wake_on={"aid.review.requested.v1": lambda: woken.append("reviews"),
                 "aid.referral.answered.v1": lambda: woken.append("held notices")},
    )


def test_a_batch_wakes_only_the_workers_its_event_types_concern():
    woken: list[str] = []
    ctx = context(woken)
    committed(ctx, [1, 2], [("row",), ("row",)], {"aid.application.submitted.v1", "aid.decision.made.v1"})
    assert woken == ["settler"] and ctx.relay.handed == [([1, 2], [("row",), ("row",)])]
    woken.clear()
    committed(ctx, [], [], {"aid.review.requested.v1", "aid.decision.made.v1", "aid.referral.answered.v1"})
    assert sorted(woken) == ["held notices", "reviews", "settler"]


def test_a_worker_is_woken_once_however_many_of_its_events_the_batch_had():
    woken: list[str] = []
    ctx = SimpleNamespace(relay=Relay(), after_commit=(), wake_on=dict.fromkeys(
        ("aid.referral.made.v1", "aid.referral.answered.v1"), lambda: woken.append("held notices")))
    committed(ctx, [], [], ["aid.referral.made.v1", "aid.referral.answered.v1", "aid.referral.answered.v1"])
    assert woken == ["held notices"]

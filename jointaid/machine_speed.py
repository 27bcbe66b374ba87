"""How fast this machine runs Python right now: one fixed piece of work, timed in CPU seconds.

Why: this 2-core machine's speed drifts by a fifth within a few hours (measured: the same commit read 19.3-20.6
ms CPU per application in one hour and 14.5-16.7 two hours later), more than most changes the bench
measures. Runs from different hours compare by CPU per application divided by this figure.
The work is an event's kind of work: a pydantic model made and dumped to JSON, the JSON parsed back and
validated, uuids and dicts.
"""
from __future__ import annotations

import json
import time
import uuid

from contracts.envelope import Envelope, new_envelope
from contracts.events import Decision

ROUNDS = 2000
REPEATS = 5


def _one_round(decision: Decision) -> None:
    event = new_envelope("aid.decision.made.v1", uuid.uuid4(), "reference", decision)
    parsed = Envelope.model_validate_json(event.model_dump_json())
    json.dumps({key: str(value) for key, value in parsed.model_dump().items()})


def reference_ms(rounds: int = ROUNDS, repeats: int = REPEATS) -> float:
    """The least CPU time, in ms, that `repeats` runs of `rounds` rounds took in this process."""
    decision = Decision(department="civil_affairs", program="mla", layer=1, outcome="approved", amount_fen=123_456,
                        recurring="monthly", reason="household income below the local minimum")
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        for _ in range(rounds):
            _one_round(decision)
        best = min(best, time.process_time() - started)
    return best * 1000

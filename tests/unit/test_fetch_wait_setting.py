"""JOINTAID_FETCH_WAIT_MS: a consumer's fetch wait at the broker, whole milliseconds within bounds; anything else is
refused naming the setting."""
from __future__ import annotations

import pytest

from services.kit.settings import Settings

BASE = {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "DATABASE_URL": "postgresql://nowhere/none"}


def test_the_default_and_a_chosen_wait():
    assert Settings.from_env(BASE).fetch_wait_ms == Settings.from_env({**BASE, "JOINTAID_FETCH_WAIT_MS": ""}).fetch_wait_ms == 250
    assert Settings.from_env({**BASE, "JOINTAID_FETCH_WAIT_MS": "100"}).fetch_wait_ms == 100


@pytest.mark.parametrize("raw", ["0", "9", "5001", "-100", "2.5", "fast", " "])
def test_a_wait_out_of_bounds_or_not_whole_milliseconds_is_refused(raw):
    with pytest.raises(SystemExit, match=r"JOINTAID_FETCH_WAIT_MS=.*expected whole milliseconds from 10 to 5000"):
        Settings.from_env({**BASE, "JOINTAID_FETCH_WAIT_MS": raw})

"""`jointaid up --replicas SERVICE=N`: what is accepted, what is refused and why."""
from __future__ import annotations

import pytest

from jointaid.cli import main
from jointaid.replicas import ReplicaError, parse_replicas, process_names, too_few_partitions, topics_read
from services.kit.settings import SERVICES


def test_services_not_named_run_once():
    counts = parse_replicas(["red_cross=3", "disbursement=2"], SERVICES)
    assert counts == {**dict.fromkeys(SERVICES, 1), "red_cross": 3, "disbursement": 2}


def test_a_later_value_for_the_same_service_wins():
    assert parse_replicas(["red_cross=3", "red_cross=2"], SERVICES)["red_cross"] == 2


@pytest.mark.parametrize("value, rule", [
    ("red_cross", "expected SERVICE=N"),
    ("nobody=2", "expected SERVICE=N"),
    ("red_cross=0", "from 1 to 64"),
    ("red_cross=two", "from 1 to 64"),
    ("red_cross=-1", "from 1 to 64"),
    ("red_cross=65", "from 1 to 64"),
])
def test_a_value_that_cannot_run_is_refused_naming_the_rule(value, rule):
    with pytest.raises(ReplicaError, match=rule):
        parse_replicas([value], SERVICES)


def test_the_command_line_refuses_before_starting_anything(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["up", "--replicas", "nobody=2", "--data-dir", "/nonexistent/never-created"])
    assert exit_.value.code == 2
    assert "expected SERVICE=N" in capsys.readouterr().err


def test_the_first_replica_keeps_the_service_name():
    names = process_names({"intake": 1, "red_cross": 3})
    assert names == {"intake": "intake", "red_cross": "red_cross", "red_cross-2": "red_cross", "red_cross-3": "red_cross"}


def test_replicas_beyond_a_topics_partitions_are_refused():
    read = sorted(topics_read("red_cross"))
    assert read == ["aid.appeal.filed", "aid.decision.made"]
    refused = too_few_partitions({"red_cross": 4, "intake": 1}, {"aid.decision.made": 3, "aid.appeal.filed": 6})
    assert refused == ["red_cross: 4 replicas but aid.decision.made has 3 partitions (partitions must be ≥ replicas)"]
    assert too_few_partitions({"red_cross": 3}, {"aid.decision.made": 3, "aid.appeal.filed": 6}) == []


def test_a_single_process_needs_no_partition_count():
    assert too_few_partitions(dict.fromkeys(SERVICES, 1), {}) == []


def test_the_embedded_broker_gets_two_partitions_or_as_many_as_the_largest_replica_count():
    from jointaid.up import embedded_partitions

    assert embedded_partitions(dict.fromkeys(SERVICES, 1)) == 2
    assert embedded_partitions({**dict.fromkeys(SERVICES, 1), "red_cross": 5, "intake": 3}) == 5
    assert too_few_partitions({**dict.fromkeys(SERVICES, 1), "red_cross": 5},
                              dict.fromkeys(topics_read("red_cross"), embedded_partitions({"red_cross": 5}))) == []

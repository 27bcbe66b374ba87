"""The bench's figures from PostgreSQL's counters and its summary lines: numbers in, exact text out."""
from __future__ import annotations

import pytest

from jointaid.bench import Submitted, parser, path_figures, pg_figures, summary

LONG = "SELECT a,\n       b FROM t WHERE x = $1 " + "AND y = $2 " * 10


def report(statements: dict | None) -> dict:
    return {
        "n": 200, "counts": {"notified": 200},
        "submitted": Submitted(ids=["x"] * 200, latencies_ms=[10.0] * 200),
        "system": {"seconds": 4.0, "rate": 50.0, "p50": 900.0, "p99": 2000.0},
        "cpu": {"intake": 2.0, "postgres": 4.0, "load client": 1.0},
        "pg_stats": {"xacts": 1060, "wal": 20_280_000, "statements": statements},
        "spans": {"traces": 8200, "total": 8260},
        "broker": {"count": 2200, "produce": 20_000.0, "consume": 25_000.0, "consumed": 2200},
        "pg": {"count": 2200, "rate": 2650.0, "connections": 8},
    }


def test_summary_prints_counters_per_application_and_shares_of_the_raw_limits():
    statements = {"INSERT INTO outbox(event_id) VALUES ($1)": 2200, "COMMIT": 1100, "BEGIN": 1100,
                  LONG: 12, "SELECT 2": 6, "SELECT 3": 2}
    lines = summary(report(statements)).splitlines()
    assert lines[3:] == [
        "  PostgreSQL : 5.3 transactions, 22.1 statements, 101.4 kB WAL per application (the bench's own queries left out)",
        "  top calls:    11.0  INSERT INTO outbox(event_id) VALUES ($1)",
        "                 5.5  BEGIN",
        "                 5.5  COMMIT",
        "                 0.1  SELECT a, b FROM t WHERE x = $1 AND y = $2 AND y = $2 AND y = $2 AND y = $2 AND…",
        "                 0.0  SELECT 2",
        "  spans      : 41.0 per application in its traces (41.3 per application written in all)",
        "  raw broker : produce 20,000 msg/s, consume 25,000 msg/s (2,200 messages); the system delivered 550 msg/s "
        "= 2.2% of raw consume (11 events per application assumed, not counted)",
        "  raw pg     : 2,650 tx/s (2,200 transactions, 8 connections); the system ran 265 tx/s = 10.0% of it",
    ]
    assert len(lines[7]) == 22 + 80  # the query text flattened and cut to 80 characters


def test_summary_without_pg_stat_statements_says_so():
    lines = summary(report(None)).splitlines()
    assert lines[3:5] == [
        "  PostgreSQL : 5.3 transactions, 101.4 kB WAL per application (the bench's own queries left out)",
        "  statements : n/a (pg_stat_statements not loaded; transactions read at the last notification, so a little low)",
    ]


def test_transactions_are_read_late_less_those_ended_after_the_phase_and_the_benchs_own():
    before = {"xacts": 100, "wal": 1000, "calls": {"own": 2, "BEGIN": 10, "COMMIT": 10, "X": 5}}
    notified = {"xacts": 900, "wal": 51_000, "calls": {"own": 40, "BEGIN": 410, "COMMIT": 410, "X": 405, "Y": 3}}
    settled = {"xacts": 1400, "wal": 52_000, "calls": {"own": 52, "BEGIN": 430, "COMMIT": 428, "ROLLBACK": 2,
                                                         "ROLLBACK TO SAVEPOINT $1": 7, "X": 425, "Y": 3}}
    # 1400 - 100, less 12 bench statements + 18 COMMITs + 2 ROLLBACKs after the phase, less 38 bench statements in it
    assert pg_figures(before, notified, settled, True) == {
        "xacts": 1230, "wal": 50_000, "statements": {"BEGIN": 400, "COMMIT": 400, "X": 400, "Y": 3}}
    assert pg_figures(before, notified, settled, False) == {"xacts": 800, "wal": 50_000, "statements": None}


def test_summary_reports_the_payments_held_for_a_second_person_apart():
    held = report(None)
    held["system"]["held"] = {"n": 50, "p50": 1_400.0, "p99": 2_600.0}
    lines = summary(held).splitlines()
    assert lines[1].startswith("  system     : 50.0 applications/s; submit→notified (paid straight through) p50 900 ms, p99 2,000 ms")
    assert lines[2] == ("  held       : 50 above the approval threshold, apart from the above: submit→notified "
                        "p50 1,400 ms, p99 2,600 ms (an approver round every 1 s)")
    assert "held" not in summary(report(None))


def test_path_figures_count_each_applications_hops_and_their_waiting():
    gaps = [("t1", 50.0), ("t1", 70.0), ("t1", 30.0), ("t2", 100.0), ("t2", 20.0), ("t3", 10.0), ("t3", 10.0),
            ("t3", 10.0)]
    assert path_figures(gaps) == {"applications": 3, "hops": 3, "waiting_p50": 120.0, "hop_p50": 20.0, "hop_p90": 100.0}
    assert path_figures([])["applications"] == 0


def test_summary_prints_the_hops_line_after_the_system_line():
    with_path = report({"BEGIN": 1})
    with_path["system"] = {**with_path["system"], "path": {"applications": 180, "hops": 10, "waiting_p50": 712.4,
                                                           "hop_p50": 68.2, "hop_p90": 131.0}}
    lines = summary(with_path).splitlines()
    assert lines[2] == ('  hops       : 10 between services on the way to the message (median, 180 applications\' traces): '
                        '712 ms of waiting in them (median); one hop p50 68 ms, p90 131 ms, publish to the next service '
                        'processing')
    assert not any(line.startswith("  hops") for line in summary(report({"BEGIN": 1})).splitlines())


def test_summary_prints_the_idle_systems_background_after_the_cpu_line():
    with_idle = report({"BEGIN": 1})
    with_idle["idle"] = {"tansu": 0.106, "intake": 0.011, "caseload": 0.010, "postgres": 0.005, "red_cross": 0.008}
    lines = summary(with_idle).splitlines()
    cpu = next(i for i, line in enumerate(lines) if line.startswith("  CPU"))
    assert lines[cpu + 1] == ("  idle       : 14.0% of a core before the first submission (tansu 10.6%, intake 1.1%, "
                              "caseload 1.0%, the other 2 1.3% together); at 50.0 applications/s that is 2.8 ms per "
                              "application")
    assert not any(line.startswith("  idle") for line in summary(report({"BEGIN": 1})).splitlines())


def test_the_idle_measurement_takes_a_length_of_zero_or_more_seconds():
    assert parser().parse_args(["--idle-seconds", "0"]).idle_seconds == 0.0
    assert parser().parse_args([]).idle_seconds == 5.0
    for bad in ("-1", "nan", "inf", "soon"):
        with pytest.raises(SystemExit):
            parser().parse_args(["--idle-seconds", bad])


def test_summary_prints_the_cpu_per_application_in_reference_work_after_the_idle_line():
    with_reference = report({"BEGIN": 1})
    with_reference["reference_ms"] = 50.0
    lines = summary(with_reference).splitlines()
    cpu = next(i for i, line in enumerate(lines) if line.startswith("  CPU"))
    # 6 s of the system's CPU over 200 applications: 30 ms each, 0.6 of the 50 ms reference
    assert lines[cpu + 1] == ("  machine    : a reference piece of Python work took 50.0 ms of CPU (jointaid/machine_speed.py); "
                              "CPU per application = 0.600 of it: compare runs of different hours by that")
    assert not any(line.startswith("  machine") for line in summary(report({"BEGIN": 1})).splitlines())

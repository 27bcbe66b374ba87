"""`jointaid run-status`'s bar: households done of the total, paid, failed, total yuan (pure)."""
from __future__ import annotations

from jointaid.run_status import BAR_WIDTH, bar


def run(households, paid, failed, total_fen, status="running"):
    return {"households": households, "paid": paid, "failed": failed, "total_fen": total_fen, "status": status}


def test_the_bar_fills_with_paid_and_failed_households():
    assert bar(run(200, 99, 1, 9_108_000)) == \
        f"[{'#' * 15}{'-' * 15}] 100/200 households  paid 99  failed 1  total 91,080.00 yuan  running"
    assert bar(run(1_000, 1_000, 0, 92_000_000, "done")).startswith(f"[{'#' * BAR_WIDTH}] 1,000/1,000 households")


def test_a_run_not_yet_counted_and_an_empty_run():
    assert bar(run(None, 0, 0, 0)).startswith(f"[{'-' * BAR_WIDTH}] 0/? households")
    assert bar(run(0, 0, 0, 0, "done")).startswith(f"[{'#' * BAR_WIDTH}] 0/0 households")

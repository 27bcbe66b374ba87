"""What an appeal pays (pure; DOMAIN.md "Appeals": only the difference, a lower result pays nothing back).

The new total is the single payment's rule (settlement.payment_lines: first month of layer 1 + layers 2-5)
over each layer's latest decision; what was paid is every payment of the application (its own, the
advance, earlier supplements). The supplement is the difference when positive, its lines the increases
by (department, program) in layer order, taken only as far as the difference goes, so they add up to it
exactly even when another line went down.
"""
from __future__ import annotations

from collections import defaultdict

from contracts.events import AppealOutcome, Decision, PaymentLine


def latest_decisions(first: list[Decision], rounds: list[list[Decision]]) -> list[Decision]:
    """Per layer, the latest decision: the first ones, each replaced by the decided appeal rounds' in order."""
    by_layer = {decision.layer: decision for decision in first}
    for round_ in rounds:
        by_layer.update({decision.layer: decision for decision in round_})
    return [by_layer[layer] for layer in sorted(by_layer)]


def supplement(new_lines: list[PaymentLine], paid_lines: list[PaymentLine]) -> tuple[int, list[PaymentLine]]:
    """(difference to pay, its lines): new total − paid total when positive, else (0, [])."""
    paid: dict[tuple, int] = defaultdict(int)
    for line in paid_lines:
        paid[(line.department, line.program)] += line.amount_fen
    difference = sum(line.amount_fen for line in new_lines) - sum(paid.values())
    if difference <= 0:
        return 0, []
    lines, left = [], difference
    for line in new_lines:
        increase = min(line.amount_fen - paid[(line.department, line.program)], left)
        if increase > 0:
            lines.append(line.model_copy(update={"amount_fen": increase}))
            left -= increase
    return difference, lines


def outcome(supplement_fen: int) -> AppealOutcome:
    """revised: a higher amount (a supplement); upheld: no change in the household's favour."""
    return AppealOutcome.revised if supplement_fen > 0 else AppealOutcome.upheld

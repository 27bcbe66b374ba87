"""Pure: combine every layer's decision into one payment (DOMAIN.md "Single payment")."""
from __future__ import annotations

from collections import defaultdict

from contracts.events import Decision, Outcome, PaymentLine


def payment_lines(decisions: list[Decision]) -> list[PaymentLine]:
    """One line per (department, program) with an approved amount; the monthly one counts its first month."""
    sums: dict[tuple, int] = defaultdict(int)
    for decision in sorted(decisions, key=lambda d: d.layer):
        if decision.outcome is Outcome.approved and decision.amount_fen > 0:
            sums[(decision.department, decision.program)] += decision.amount_fen
    return [PaymentLine(department=dep, program=prog, amount_fen=amount) for (dep, prog), amount in sums.items()]


def missing_layers(expected: list[int], answered: list[int]) -> list[int]:
    return sorted(set(expected) - set(answered))


def last4(account_number: str) -> str:
    return account_number[-4:]

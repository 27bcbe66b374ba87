"""What an advance leaves for the final payment (pure): final = total − min(advance, temporary assistance).

The advance is temporary assistance paid early, so it is taken off that line only: the other lines are the
other departments' own decisions and stay whole. The part of the advance above the final temporary
assistance was paid and is not clawed back: it is waived (its own ledger posting, shown by the audit).
"""
from __future__ import annotations

from dataclasses import dataclass

from contracts.events import Department, PaymentLine, Program

ADVANCE_DEPARTMENT, ADVANCE_PROGRAM = Department.civil_affairs, Program.temporary_assistance


@dataclass(frozen=True)
class Split:
    lines: tuple[PaymentLine, ...]  # the final payment's lines: they sum to its total
    deducted_fen: int  # min(advance, temporary assistance): what the advance already paid of the decision
    waived_fen: int  # advance − deducted: paid above the decision, waived

    @property
    def total_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)


def is_temporary(line: PaymentLine) -> bool:
    return (line.department, line.program) == (ADVANCE_DEPARTMENT, ADVANCE_PROGRAM)


def split(lines: list[PaymentLine], advance_fen: int) -> Split:
    """The final lines after the advance: the temporary-assistance line less the advance (dropped at 0)."""
    temporary = sum(line.amount_fen for line in lines if is_temporary(line))
    deducted = min(advance_fen, temporary)
    final = []
    for line in lines:
        amount = line.amount_fen - deducted if is_temporary(line) else line.amount_fen
        if amount > 0:
            final.append(line.model_copy(update={"amount_fen": amount}))
    return Split(tuple(final), deducted, advance_fen - deducted)


def advance_line(amount_fen: int) -> PaymentLine:
    return PaymentLine(department=ADVANCE_DEPARTMENT, program=ADVANCE_PROGRAM, amount_fen=amount_fen)

"""Double-entry postings (pure): every posting's debits equal its credits."""
from __future__ import annotations

from dataclasses import dataclass

from contracts.events import PaymentLine

CITIZEN_PAYABLE = "payable:citizen"
BANK_SETTLEMENT = "bank:settlement"


@dataclass(frozen=True)
class Entry:
    account: str
    debit_fen: int = 0
    credit_fen: int = 0
    program: str | None = None


def approval(lines: list[PaymentLine]) -> list[Entry]:
    """Each line debits its department's fund and credits what the citizen is owed."""
    entries = []
    for line in lines:
        entries.append(Entry(f"fund:{line.department.value}", debit_fen=line.amount_fen, program=line.program.value))
        entries.append(Entry(CITIZEN_PAYABLE, credit_fen=line.amount_fen, program=line.program.value))
    return entries


def settlement(total_fen: int) -> list[Entry]:
    """The rail paid the citizen: the payable is cleared against the bank."""
    return [Entry(CITIZEN_PAYABLE, debit_fen=total_fen), Entry(BANK_SETTLEMENT, credit_fen=total_fen)]


def waiver(line: PaymentLine) -> list[Entry]:
    """An advance paid above its program's final decision: the excess leaves the fund's decided spending
    for the department's waived account (paid, not owed, never clawed back)."""
    return [Entry(f"waived:{line.department.value}", debit_fen=line.amount_fen, program=line.program.value),
            Entry(f"fund:{line.department.value}", credit_fen=line.amount_fen, program=line.program.value)]


def reversal(lines: list[PaymentLine]) -> list[Entry]:
    """An approval undone (the approver refused the payment): each line back to its fund."""
    return [Entry(e.account, debit_fen=e.credit_fen, credit_fen=e.debit_fen, program=e.program) for e in approval(lines)]


def balanced(entries: list[Entry]) -> bool:
    return sum(e.debit_fen for e in entries) == sum(e.credit_fen for e in entries)

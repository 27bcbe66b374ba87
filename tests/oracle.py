"""The expected outcome of an application, from the pure rules alone (no broker, no database)."""
from __future__ import annotations

from datetime import date

from contracts.application import ApplicationIn
from services.departments.civil_affairs import rules as civil_affairs
from services.departments.medical_insurance import rules as medical_insurance
from services.departments.red_cross import rules as red_cross
from services.disbursement.settlement import payment_lines
from services.kit.policy import policy_on
from services.verification.facts import derive_facts


def expected_total_fen(body: dict, submitted_on: date) -> int:
    """The single payment's total, assuming the Red Cross fund can cover its grant."""
    policy = policy_on(submitted_on)  # as the departments: the version in force that day
    facts = derive_facts(ApplicationIn.model_validate(body), submitted_on)
    living, trail = civil_affairs.decide_living(facts, policy)
    insurance, assistance, trail = medical_insurance.decide(facts, trail, policy)
    temporary, trail = civil_affairs.decide_temporary(facts, trail, policy)
    relief, trail = red_cross.decide(facts, trail, policy)
    return sum(line.amount_fen for line in payment_lines([living, insurance, assistance, temporary, relief]))

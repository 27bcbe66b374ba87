"""Aid first, paperwork after (pure): the advance of temporary assistance an urgent application gets at once.

DOMAIN.md: "the tier of the declared hardship, at most 4,000 yuan (parameter)", before registry checks.
At submission no layer has decided, so the declared hardship is layer 4's H with layers 2 and 3 still
at zero: the declared out-of-pocket medical cost (bills' total − basic reimbursement) + the declared
emergency loss. That overstates H whenever insurance later pays part of the bills, which is why the part
of an advance above the final temporary assistance is waived (services/disbursement/advances.py).
Layer 4's own rules apply to the declaration: its residence rule, its tiers, never above H.
"""
from __future__ import annotations

from contracts.application import ApplicationIn
from services.kit.policy import Policy, pick_tier


def declared_hardship_fen(application: ApplicationIn) -> int:
    """Declared OOP (sum of total − basic_reimbursed) + declared emergency loss, in fen."""
    oop = sum(bill.oop_fen for bill in application.needs.medical_bills)
    emergency = application.needs.emergency
    return oop + (emergency.loss_fen if emergency else 0)


def advance_fen(hardship_fen: int, residence, policy: Policy) -> int:
    """The temporary-assistance tier of the hardship, never above it, capped at the policy's advance maximum;
    0 below the first tier or for a residence layer 4 does not serve."""
    if residence not in policy.temporary_assistance.residences:
        return 0
    tier = pick_tier(policy.temporary_assistance.tiers, hardship_fen)
    if tier is None:
        return 0
    return min(tier.amount_fen, hardship_fen, policy.advance.max_fen)


def advance_of(application: ApplicationIn, policy: Policy) -> tuple[int, int]:
    """(advance, declared hardship) for an urgent application; (0, 0) when it is not urgent."""
    if application.urgent is None:
        return 0, 0
    hardship = declared_hardship_fen(application)
    return advance_fen(hardship, application.residence, policy), hardship

"""A department decides an appealed layer again (DOMAIN.md "Appeals").

It starts from what it announced last for that layer (the first decision, or a later appeal's: each
decision keeps its facts and trail), applies the appeal's new facts (`merged`, pure), takes the trail back
to what the layers before left (`trail_before`, pure), and runs the layer's own rules through the same
function as a first decision, with the appeal_id: the later layers then follow through the same events.
"""
from __future__ import annotations

import logging
from typing import Awaitable, Callable

from contracts.appeal import REDECIDED_FROM
from contracts.events import AppealFactChanges, AppealFiled, HouseholdFacts, LayerTrail
from services.kit.consumer import Tx

log = logging.getLogger(__name__)

# What each layer writes into the trail (layers 2 and 3 are decided together by medical insurance).
TRAIL_FIELDS = {1: ("status", "living_fen"), 2: ("critical_illness_fen", "medical_assistance_fen"),
                4: ("temporary_fen", "temporary_medical_part_fen"), 5: ("major_illness_fen",)}

# (tx, facts, trail before the layer, appeal_id) -> decide and publish: the same function a first decision runs.
Redecide = Callable[[Tx, HouseholdFacts, LayerTrail, object], Awaitable[None]]


def merged(facts: HouseholdFacts, changes: AppealFactChanges) -> HouseholdFacts:
    """The facts with the appeal's changes: members' figures by position, new bills added, the loss and the
    supporter replaced; the household's totals (I, C, OOP, diagnoses) follow."""
    members = list(facts.members)
    for change in changes.members:
        if change.member > len(members):
            log.warning("appeal names member %d of a household of %d decided: ignored", change.member, len(members))
            continue
        update = {name: value for name in ("monthly_income_fen", "disability_grade", "care_level")
                  if (value := getattr(change, name)) is not None}
        members[change.member - 1] = members[change.member - 1].model_copy(update=update)
    bills = changes.medical_bills
    diagnoses = set(facts.diagnoses) | {bill.diagnosis for bill in bills if bill.diagnosis}
    return facts.model_copy(update={
        "members": tuple(members),
        "monthly_income_fen": sum(member.monthly_income_fen for member in members),
        "covered_oop_fen": facts.covered_oop_fen + sum(bill.covered_oop_fen for bill in bills),
        "oop_fen": facts.oop_fen + sum(bill.total_fen - bill.basic_reimbursed_fen for bill in bills),
        "diagnoses": tuple(sorted(diagnoses)),
        "emergency_loss_fen": facts.emergency_loss_fen if changes.emergency_loss_fen is None else changes.emergency_loss_fen,
        "has_supporter": facts.has_supporter if changes.has_supporter is None else changes.has_supporter,
    })


def trail_before(trail: LayerTrail, layer: int) -> LayerTrail:
    """The trail as the layers before `layer` left it: what `layer` and the later ones wrote, cleared."""
    cleared = {name: None for first, names in TRAIL_FIELDS.items() if first >= layer for name in names}
    return trail.model_copy(update=cleared)


async def last_announced(conn, application_id, layer: int) -> tuple[HouseholdFacts, LayerTrail] | None:
    """The facts and trail of this department's latest decision of the layer (an appeal's, else the first)."""
    row = await conn.fetchrow(
        "SELECT facts, trail FROM (SELECT facts, trail, decided_at FROM decisions WHERE application_id = $1 AND layer = $2"
        " UNION ALL SELECT facts, trail, decided_at FROM appeal_decisions WHERE application_id = $1 AND layer = $2) d"
        " WHERE facts IS NOT NULL ORDER BY decided_at DESC LIMIT 1", application_id, layer)
    if row is None:
        return None
    return HouseholdFacts.model_validate_json(row["facts"]), LayerTrail.model_validate_json(row["trail"])


def appeal_handler(redecide: dict[int, Redecide]):
    """aid.appeal.filed for the layers this department decides (`redecide`: appealed layer -> its function)."""
    async def on_appeal_filed(tx: Tx, event, filed: AppealFiled) -> None:
        first = REDECIDED_FROM[filed.layer]
        found = await last_announced(tx.conn, tx.application_id, first)
        if found is None:  # decided before decisions kept their facts: the appeal's deadline escalates it
            log.warning("appeal %s: no facts kept for layer %d of application %s", filed.appeal_id, first, tx.application_id)
            return
        facts, trail = found
        await redecide[filed.layer](tx, merged(facts, filed.facts), trail_before(trail, first), filed.appeal_id)

    on_appeal_filed.accepts = lambda filed: filed.layer in redecide
    return on_appeal_filed

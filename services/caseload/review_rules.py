"""The annual review (年审) of one household, pure: fresh facts, the living rules, the outcome.

Fresh facts are the recipient's stored facts with what the registries say today applied member by member
(as verification does for an application: the registry wins, each difference named with both figures), and
ages as of the review. The living rules then decide again, and the outcome compares the new status and
amount with the household's present ones under the same policy version, so a raise of the standard (which
every run applies by itself) is never mistaken for a change of the household:
same status and amount -> continued; same status, other amount -> adjusted; another caseload status ->
changed; no status -> exited. Everything takes effect from the period after as_of's month.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from contracts import idnumber
from contracts.reviews import effective_period  # the first period after as_of's month
from contracts.events import (HouseholdFacts, HouseholdStatus, MemberFacts, RecipientChange, RecipientStatus,
                              RegistryPerson, Residence)
from services.caseload import amounts
from services.departments.civil_affairs.rules import decide_living
from services.kit.money import format_yuan, format_yuan_zh
from services.kit.policy import Policy, policy_for_period
from services.verification.reconcile import checks_of, grade_en, grade_zh


@dataclass(frozen=True)
class Outcome:
    change: RecipientChange            # continued | adjusted | changed | exited
    status: RecipientStatus            # the status from the effective period ('exited' for an exit)
    monthly_amount_fen: int            # from the effective period (0: no cash)
    prior_status: RecipientStatus
    prior_amount_fen: int              # what the household would get in that period without the review
    facts: HouseholdFacts | None       # the fresh facts (None: no member is counted any more)
    reason: str
    reason_zh: str
    effective_period: str


def review_policy(as_of: date) -> Policy:
    """The version the household is re-decided under: the one in force when the outcome takes effect. A
    review in December decides January's status under January's version (a raise on 1 January counts)."""
    return policy_for_period(effective_period(as_of))


def counted_positions(member_count: int, facts: HouseholdFacts) -> list[int]:
    """The application positions (1-based) of the members in `facts`: verification leaves out a member the
    population registry records as deceased, and records that check under the member's position."""
    dead = {c.member for c in facts.registry_checks if c.field == "alive" and c.value is False}
    positions = [p for p in range(1, member_count + 1) if p not in dead]
    return positions if len(positions) == len(facts.members) else list(range(1, len(facts.members) + 1))


def refresh_facts(facts: HouseholdFacts, members: list[dict], applicant_id_number: str,
                  people: dict[str, RegistryPerson], as_of: date) -> tuple[HouseholdFacts | None, list[str], list[str]]:
    """(fresh facts or None when no member is left, notes, notes in Chinese). `members` are the recipient's
    [{"id_number", ...}] in application order; `people` the registries' records by ID number (known ones)."""
    notes: list[str] = []
    notes_zh: list[str] = []
    counted: list[MemberFacts] = []
    known: list[RegistryPerson] = []
    checks = []
    for position, stored in zip(counted_positions(len(members), facts), facts.members):
        id_number = members[position - 1]["id_number"]
        person = people.get(idnumber.normalise(id_number))
        person = person if person is not None and person.known else None
        age = idnumber.age_on(id_number, as_of)
        if person is None:  # no registry knows them: the facts on record stand, a year older
            counted.append(stored.model_copy(update={"age": age}))
            continue
        checks += checks_of(position, person)
        if person.alive is False:
            notes.append(f"member {position}: the population registry records a death; no longer counted in the household")
            notes_zh.append(f"第{position}位成员：户籍登记显示已死亡，不再计入家庭人口")
            continue
        known.append(person)
        income = person.monthly_income_fen or 0
        if income != stored.monthly_income_fen:
            notes.append(f"member {position}: income on record {format_yuan(stored.monthly_income_fen)} yuan; "
                         f"the income registry now shows {format_yuan(income)} yuan")
            notes_zh.append(f"第{position}位成员：原认定月收入 {format_yuan_zh(stored.monthly_income_fen)}，"
                            f"收入登记现为 {format_yuan_zh(income)}")
        if person.disability_grade != stored.disability_grade:
            notes.append(f"member {position}: disability grade on record {grade_en(stored.disability_grade)}; "
                         f"the disability registry now shows {grade_en(person.disability_grade)}")
            notes_zh.append(f"第{position}位成员：原认定残疾等级 {grade_zh(stored.disability_grade)}，"
                            f"残疾登记现为 {grade_zh(person.disability_grade)}")
        counted.append(stored.model_copy(update={"age": age, "monthly_income_fen": income,
                                                 "disability_grade": person.disability_grade, "declared_only": False}))
    if not counted:
        return None, notes, notes_zh
    every_member_known = len(known) == len(counted)
    fresh = facts.model_copy(update={
        "submitted_on": as_of,  # the day these facts hold for
        "members": tuple(counted),
        "monthly_income_fen": sum(m.monthly_income_fen for m in counted),
        "residence": _residence(facts, people.get(idnumber.normalise(applicant_id_number)), notes, notes_zh),
        "financial_assets_fen": _assets(facts, known, every_member_known, notes, notes_zh),
        "owns_vehicle": _vehicle(facts, known, every_member_known, notes, notes_zh),
        # one-off needs belong to the application they came with; a review decides the monthly status only
        "covered_oop_fen": 0, "oop_fen": 0, "emergency_loss_fen": 0,
        "registry_notes": tuple(notes), "registry_notes_zh": tuple(notes_zh), "registry_checks": tuple(checks),
    })
    return HouseholdFacts.model_validate(fresh.model_dump()), notes, notes_zh


def _residence(facts: HouseholdFacts, applicant: RegistryPerson | None, notes: list[str], notes_zh: list[str]) -> Residence:
    """The applicant's hukou region in the population registry decides whether the household is local."""
    if applicant is None or not applicant.known or applicant.hukou_region is None:
        return facts.residence
    local = applicant.hukou_region == facts.region_code
    if facts.residence == Residence.hukou and not local:
        notes.append(f"hukou on record in {facts.region_code}; the population registry now shows hukou in {applicant.hukou_region}")
        notes_zh.append(f"原认定户籍在 {facts.region_code}，户籍登记现在 {applicant.hukou_region}")
        return Residence.other
    if facts.residence != Residence.hukou and local:
        notes.append(f"{facts.residence.value} on record; the population registry now shows hukou in {facts.region_code}")
        notes_zh.append(f"原认定为非本地户籍，户籍登记现在本地（{facts.region_code}）")
        return Residence.hukou
    return facts.residence


def _assets(facts: HouseholdFacts, known: list[RegistryPerson], every_member_known: bool,
            notes: list[str], notes_zh: list[str]) -> int:
    """The assets registry's sum when it knows every member; otherwise the figure on record, raised to it."""
    stored, registered = facts.financial_assets_fen, sum(p.financial_assets_fen or 0 for p in known)
    assets = registered if every_member_known else max(stored, registered)
    if assets != stored:
        notes.append(f"financial assets on record {format_yuan(stored)} yuan; the assets registry now shows {format_yuan(registered)} yuan")
        notes_zh.append(f"原认定家庭金融资产 {format_yuan_zh(stored)}，资产登记现为 {format_yuan_zh(registered)}")
    return assets


def _vehicle(facts: HouseholdFacts, known: list[RegistryPerson], every_member_known: bool,
             notes: list[str], notes_zh: list[str]) -> bool:
    registered = any((p.vehicles or 0) > 0 for p in known)
    owns = registered if every_member_known else facts.owns_vehicle or registered
    if owns != facts.owns_vehicle:
        notes.append(f"{'a' if facts.owns_vehicle else 'no'} vehicle on record; the assets registry now shows {'one' if owns else 'none'}")
        notes_zh.append(f"原认定{'有' if facts.owns_vehicle else '无'}机动车，资产登记现为{'有' if owns else '无'}")
    return owns


def classify(prior_status: RecipientStatus, prior_amount_fen: int, status: HouseholdStatus, amount_fen: int) -> RecipientChange:
    """The outcome of a re-decision, compared under one policy version."""
    if status == HouseholdStatus.none:
        return RecipientChange.exited
    if status.value != prior_status.value:
        return RecipientChange.changed
    return RecipientChange.continued if amount_fen == prior_amount_fen else RecipientChange.adjusted


def review(prior_status: str, prior_facts: HouseholdFacts, members: list[dict], applicant_id_number: str,
           people: dict[str, RegistryPerson], as_of: date, policy: Policy | None = None) -> Outcome:
    """Re-decide one household due for review on `as_of` (its present status and facts, the registries today)."""
    policy = policy or review_policy(as_of)
    period, prior = effective_period(as_of), RecipientStatus(prior_status)
    prior_amount = amounts.monthly_amount_fen(prior, prior_facts, policy)
    fresh, notes, notes_zh = refresh_facts(prior_facts, members, applicant_id_number, people, as_of)
    if fresh is None:
        return Outcome(RecipientChange.exited, RecipientStatus.exited, 0, prior, prior_amount, None,
                       f"no member of the household is counted any more: {'; '.join(notes)}",
                       f"家庭成员均已不再计入：{'；'.join(notes_zh)}", period)
    decision, trail = decide_living(fresh, policy)
    change = classify(prior, prior_amount, trail.status, trail.living_fen)
    status = RecipientStatus.exited if change == RecipientChange.exited else RecipientStatus(trail.status.value)
    amount = 0 if change == RecipientChange.exited else trail.living_fen
    return Outcome(change, status, amount, prior, prior_amount, fresh,
                   f"{decision.reason} (policy {policy.version})",
                   f"{decision.reason_zh or decision.reason}（政策版本 {policy.version}）", period)

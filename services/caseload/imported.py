"""An imported household's terms (pure, no I/O): its facts from its line and the registries, its amount by the rules.

- Facts as verification derives them: ages from the ID numbers on the import day; incomes and disability
  grades from the line, where the registries know a member theirs win, a deceased member is not counted,
  the applicant's hukou region decides residence, and assets and vehicles are the registries'
  (services.verification.reconcile, applied to the line read as a declaration).
- What neither the line nor the registries give is what the status implies (DESIGN.md): local hukou; no
  financial assets and no vehicle; extreme_poverty: no able legal supporter. For mla and low_income the line
  does not establish the absence of a supporter, so it is not assumed (a review would otherwise raise a
  household to extreme poverty on a fact nobody recorded).
- The monthly amount is never imported: amounts.monthly_amount_fen under the policy in force on the import day.
- The first period a run pays is the one after the import day (the region paid the months before itself);
  the review falls due 12 months after enrolment, even when that is already past (the annual review picks it up).
"""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date

from contracts import idnumber
from contracts.caseload import CaseloadLine, CaseloadMember, CaseloadStatus
from contracts.events import HouseholdFacts, HouseholdStatus, MemberFacts, RegistryPerson, Residence
from services.caseload import amounts
from services.departments.civil_affairs.rules import living_amount
from services.kit.money import format_yuan_zh
from services.kit.policy import Policy
from services.verification.reconcile import Refused, reconcile

MONTHLY = frozenset({CaseloadStatus.extreme_poverty, CaseloadStatus.mla})
STATUS_ZH = {CaseloadStatus.extreme_poverty: "特困供养", CaseloadStatus.mla: "最低生活保障",
             CaseloadStatus.low_income: "低收入家庭"}
# What the digest leaves out: the day and the ages change with the calendar, not with the household.
DIGEST_EXCLUDES = {"submitted_on": True, "members": {"__all__": {"age"}}, "registry_checks": True,
                   "services_requested": True}  # an application's, never an imported household's


@dataclass(frozen=True)
class Terms:
    """What the caseload records of one imported household."""
    recipient_id: uuid.UUID
    line: CaseloadLine
    facts: HouseholdFacts
    monthly_amount_fen: int
    next_review_on: date
    first_period: str
    reason: str
    reason_zh: str
    digest: str  # equal digests: the same line on the same registry facts and amount (a re-import changes nothing)

    @property
    def zero_amount(self) -> bool:
        """A monthly status whose amount by the rules is nothing (income at or above the standard)."""
        return self.line.status in MONTHLY and self.monthly_amount_fen == 0


@dataclass(frozen=True)
class _DeclaredHousehold:
    members: list[CaseloadMember]
    financial_assets_fen: int
    owns_vehicle: bool
    has_supporter: bool


@dataclass(frozen=True)
class Declaration:
    """The line read as an application's declaration: the parts of ApplicationIn that reconcile reads (a
    CaseloadMember has the member fields it uses), with the facts the status implies."""
    applicant_id_number: str
    region_code: str
    residence: Residence
    household: _DeclaredHousehold


def as_declaration(line: CaseloadLine) -> Declaration:
    household = _DeclaredHousehold(line.members, financial_assets_fen=0, owns_vehicle=False,
                                   has_supporter=line.status is not CaseloadStatus.extreme_poverty)
    return Declaration(line.applicant_id_number, line.region_code, Residence.hukou, household)


def facts_of(line: CaseloadLine, people: dict[str, RegistryPerson], today: date) -> HouseholdFacts:
    """The household's facts on `today`; Refused (applicant_deceased) when the registries record the applicant's death."""
    declared = as_declaration(line)
    found = reconcile(declared, people)  # type: ignore[arg-type]  # duck-typed: see Declaration
    return HouseholdFacts(
        submitted_on=today, region_code=line.region_code, residence=found.residence,
        members=tuple(MemberFacts(age=idnumber.age_on(m.member.id_number, today), monthly_income_fen=m.monthly_income_fen,
                                  disability_grade=m.disability_grade, care_level=m.member.care_level,
                                  declared_only=m.declared_only) for m in found.members),
        monthly_income_fen=sum(m.monthly_income_fen for m in found.members),
        financial_assets_fen=found.financial_assets_fen, owns_vehicle=found.owns_vehicle,
        has_supporter=declared.household.has_supporter, covered_oop_fen=0, oop_fen=0, emergency_loss_fen=0,
        registry_notes=tuple(found.notes), registry_notes_zh=tuple(found.notes_zh), registry_checks=tuple(found.checks),
    )


def terms_of(line: CaseloadLine, people: dict[str, RegistryPerson], today: date, policy: Policy) -> Terms:
    """Raises Refused when the household cannot be moved in on these facts."""
    facts = facts_of(line, people, today)
    amount = amounts.monthly_amount_fen(line.status.value, facts, policy)
    first_period = amounts.next_period(today)
    reason, reason_zh = reasons(line, facts, policy, amount, first_period)
    return Terms(amounts.recipient_id_of(line.applicant_id_number), line, facts, amount,
                 amounts.review_due_on(line.enrolled_on), first_period, reason, reason_zh, digest(line, facts, amount))


def reasons(line: CaseloadLine, facts: HouseholdFacts, policy: Policy, amount: int, first_period: str) -> tuple[str, str]:
    """The history's reason, with the figures (English for caseworkers, Chinese for the record)."""
    status = line.status
    if status in MONTHLY:
        figures = living_amount(HouseholdStatus(status.value), facts, policy)[1]
        if amount == 0:
            figures += "; the rules give nothing to pay"
    else:
        figures = "margin status only, no cash"
    reason = (f"moved in from the region's caseload as {status.value} (enrolled {line.enrolled_on}), "
              f"household of {len(facts.members)}: {figures} under {policy.version}, paid from {first_period}")
    reason_zh = (f"由原救助名册迁入：{STATUS_ZH[status]}，{len(facts.members)} 人，"
                 f"{f'每月 {format_yuan_zh(amount)}' if status in MONTHLY else '不发放生活费'}，自 {first_period} 起")
    if facts.registry_notes:
        reason += f". Registries: {'; '.join(facts.registry_notes)}"
        reason_zh += f"。部门登记核对：{'；'.join(facts.registry_notes_zh)}"
    return reason, reason_zh


def digest(line: CaseloadLine, facts: HouseholdFacts, amount: int) -> str:
    content = b"\n".join((line.model_dump_json().encode(), facts.model_dump_json(exclude=DIGEST_EXCLUDES).encode(),
                          str(amount).encode()))
    return hashlib.sha256(content).hexdigest()


def members_of(line: CaseloadLine) -> list[dict]:
    """The members as the caseload keeps them (personal data; the API masks the ID numbers)."""
    return [{"id_number": m.id_number, "name": m.name, "relation": m.relation.value} for m in line.members]


__all__ = ["Terms", "Refused", "Declaration", "as_declaration", "facts_of", "terms_of", "reasons", "digest", "members_of"]

"""Event payloads (the `data` of an Envelope), one model per event type.

Facts that travel between departments carry no personal data: no names, ID numbers,
phones or accounts. Only disbursement receives the payout account, in the verified event.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Fen = int  # integer fen; 1 yuan = 100 fen
Period = str  # a month, YYYY-MM
PERIOD_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Department(str, Enum):
    civil_affairs = "civil_affairs"
    medical_insurance = "medical_insurance"
    red_cross = "red_cross"


class Program(str, Enum):
    extreme_poverty = "extreme_poverty"
    mla = "mla"
    low_income = "low_income"
    critical_illness_insurance = "critical_illness_insurance"
    medical_assistance = "medical_assistance"
    temporary_assistance = "temporary_assistance"
    major_illness_relief = "major_illness_relief"


class Outcome(str, Enum):
    approved = "approved"
    denied = "denied"
    not_applicable = "not_applicable"


class Recurring(str, Enum):
    monthly = "monthly"
    one_off = "one_off"


class HouseholdStatus(str, Enum):
    extreme_poverty = "extreme_poverty"
    mla = "mla"
    low_income = "low_income"
    none = "none"


class Residence(str, Enum):
    hukou = "hukou"
    residence_permit = "residence_permit"
    other = "other"


class CareLevel(str, Enum):
    disabled = "disabled"
    semi_disabled = "semi_disabled"
    self_care = "self_care"


class Language(str, Enum):
    zh = "zh"
    en = "en"


class ReferralService(str, Enum):
    """Services beside cash (物质+服务), in the order a notice lists them."""
    care = "care"                    # 照料护理
    counselling = "counselling"      # 心理疏导
    employment = "employment"        # 就业培训
    home_repair = "home_repair"      # 居家改造
    companionship = "companionship"  # 关爱陪伴


# ---- facts (verification -> departments) -------------------------------------------------

class MemberFacts(_Model):
    age: int = Field(ge=0, le=150)
    monthly_income_fen: Fen = Field(ge=0)
    disability_grade: int | None = Field(default=None, ge=1, le=4)
    care_level: CareLevel | None = None
    diagnoses: tuple[str, ...] = ()
    declared_only: bool = Field(default=False, description="no registry knows this member: decided on the declaration")


class RegistryCheck(_Model):
    """What one registry said of one member (by position in the application), and when: no personal data."""
    member: int = Field(ge=1)
    registry: str
    field: str
    value: str | int | bool | None
    recorded_at: datetime | None = None


class HouseholdFacts(_Model):
    submitted_on: date
    region_code: str
    residence: Residence
    members: tuple[MemberFacts, ...] = Field(min_length=1)
    monthly_income_fen: Fen = Field(ge=0, description="I: sum of members' monthly income")
    financial_assets_fen: Fen = Field(ge=0)
    owns_vehicle: bool
    has_supporter: bool
    covered_oop_fen: Fen = Field(ge=0, description="C: sum of bills' covered_oop_fen")
    oop_fen: Fen = Field(ge=0, description="OOP: sum of (total - basic_reimbursed) over bills")
    emergency_loss_fen: Fen = Field(ge=0)
    diagnoses: tuple[str, ...] = Field(default=(), description="every diagnosis of members and bills")
    registry_notes: tuple[str, ...] = Field(default=(), description="each difference between declaration and registry")
    registry_notes_zh: tuple[str, ...] = ()
    registry_checks: tuple[RegistryCheck, ...] = ()
    services_requested: tuple[ReferralService, ...] = Field(
        default=(), description="the services the application asks for beside cash (needs.services)")


# ---- decisions (departments -> next layer, disbursement, intake) ------------------------

class Decision(_Model):
    department: Department
    program: Program
    layer: int = Field(ge=1, le=5)
    outcome: Outcome
    amount_fen: Fen = Field(ge=0)
    recurring: Recurring
    reason: str = Field(min_length=1)
    reason_zh: str | None = Field(default=None, min_length=1,
                                  description="the reason in plain Chinese, for the citizen's message")


class LayerTrail(_Model):
    """What the layers decided so far: each layer reads the ones before it."""
    status: HouseholdStatus | None = None
    living_fen: Fen | None = Field(default=None, ge=0)
    critical_illness_fen: Fen | None = Field(default=None, ge=0)
    medical_assistance_fen: Fen | None = Field(default=None, ge=0)
    temporary_fen: Fen | None = Field(default=None, ge=0)
    temporary_medical_part_fen: Fen | None = Field(default=None, ge=0)
    major_illness_fen: Fen | None = Field(default=None, ge=0)


class ApplicationSubmitted(_Model):
    """The whole application as the citizen gave it (personal data included: verification needs it)."""
    submission: dict
    submitted_at: datetime
    language: Language = Language.zh
    advance_fen: Fen = Field(default=0, ge=0, description="urgent: the advance intake requested at once (0: none)")


class PayoutAccount(_Model):
    kind: str
    number: str


class ApplicationVerified(_Model):
    facts: HouseholdFacts
    payout_account: PayoutAccount
    language: Language = Language.zh
    expected_layers: tuple[int, ...] = (1, 2, 3, 4, 5)
    advance_fen: Fen = Field(default=0, ge=0, description="the advance requested at submission: the final payment waits for it")


class ApplicationRejected(_Model):
    rule: str
    reason: str
    language: Language = Language.zh


class DecisionMade(_Model):
    decision: Decision
    facts: HouseholdFacts
    trail: LayerTrail
    appeal_id: uuid.UUID | None = Field(default=None, description="set: a decision of this appeal's round, not a first decision")


class PaymentLine(_Model):
    department: Department
    program: Program
    amount_fen: Fen = Field(ge=0)


class PaymentKind(str, Enum):
    application = "application"
    monthly = "monthly"
    price_subsidy = "price_subsidy"
    advance = "advance"
    supplement = "supplement"


class PaymentIssued(_Model):
    """One per application (kind application), or per entitlement of a payment run (monthly, price_subsidy:
    then `recipient_id`, `period` and `run_id` say which). payment_id is null when the total is zero (no
    payment, still one message)."""
    payment_id: uuid.UUID | None
    total_fen: Fen = Field(ge=0)
    lines: tuple[PaymentLine, ...]
    decisions: tuple[Decision, ...]
    account_kind: str
    account_last4: str = Field(pattern=r"^[0-9A-Za-z]{0,4}$")
    language: Language = Language.zh
    declared_only_members: tuple[int, ...] = Field(
        default=(), description="members (1-based) no registry knew: decided on the declaration")
    kind: PaymentKind = PaymentKind.application
    recipient_id: uuid.UUID | None = None
    period: Period | None = Field(default=None, pattern=PERIOD_PATTERN)
    run_id: uuid.UUID | None = None
    advance_fen: Fen = Field(default=0, ge=0, description="kind application: the advance already paid and taken off")
    waived_fen: Fen = Field(default=0, ge=0, description="kind application: the advance above the final temporary assistance, waived")


class PaymentFailed(_Model):
    payment_id: uuid.UUID
    attempt: int = Field(ge=1)
    error: str
    final: bool


class NotificationSent(_Model):
    channel: str
    text: str
    sent_at: datetime
    appeal_id: uuid.UUID | None = Field(default=None, description="set: the notice of this appeal, not the application's one notice")


class CaseEscalated(_Model):
    reason: str
    missing_layers: tuple[int, ...] = ()


# ---- referrals: services beside cash (referrals <-> providers; intake, notification read) ----------

class ReferralStatus(str, Enum):
    made = "made"            # sent to the provider, no answer yet
    fulfilled = "fulfilled"  # the provider arranged it
    refused = "refused"      # the provider cannot (reason says why)


class ReferralMade(_Model):
    """A service referral sent to a provider (key application_id). No personal data: the provider gets the
    region and the service; it reaches the household through the window that registered it."""
    referral_id: uuid.UUID = Field(description="uuid5(application_id, service): a replay never makes a second one")
    service: ReferralService
    provider: str
    region_code: str
    automatic: bool = Field(default=False, description="made by rule (care for a disabled member of an extreme-poverty household), not asked for")
    made_at: datetime


class ReferralAnswered(_Model):
    """The provider's answer to a referral (key application_id)."""
    referral_id: uuid.UUID
    service: ReferralService
    provider: str
    status: Literal[ReferralStatus.fulfilled, ReferralStatus.refused]
    reason: str = ""
    reason_zh: str = ""
    answered_at: datetime


# ---- advances and approvals (intake <-> disbursement, notification) -------------------------

class AdvanceRequested(_Model):
    """An urgent application's advance, paid at once (intake -> disbursement; key application_id). Carries
    the payout account: only disbursement reads this topic."""
    payment_id: uuid.UUID
    amount_fen: Fen = Field(gt=0)
    urgent_kind: str
    hardship_fen: Fen = Field(ge=0, description="the declared hardship the tier was taken on")
    payout_account: PayoutAccount
    language: Language = Language.zh
    requested_at: datetime


class ApprovalRequested(_Model):
    """A payment above the threshold waits for a second person (disbursement -> intake; key application_id)."""
    payment_id: uuid.UUID
    total_fen: Fen = Field(gt=0)
    threshold_fen: Fen = Field(ge=0)
    lines: tuple[PaymentLine, ...]
    requested_at: datetime


class ApprovalDecided(_Model):
    """An approver's decision on a waiting payment (intake -> disbursement, notification; key application_id).
    Refused: the payment is cancelled and the application ends with its own notice naming the note."""
    payment_id: uuid.UUID
    approved: bool
    note: str = ""
    decided_by: str = Field(description="the approver's subject (staff, not the household)")
    decided_at: datetime
    total_fen: Fen = Field(ge=0)
    language: Language = Language.zh


# ---- appeals (intake -> departments, disbursement; disbursement -> intake, notification) ----------

class MemberFactChange(_Model):
    """A member's new facts, by position (1-based) among the members as decided."""
    member: int = Field(ge=1)
    monthly_income_fen: Fen | None = Field(default=None, ge=0)
    disability_grade: int | None = Field(default=None, ge=1, le=4)
    care_level: CareLevel | None = None


class NewBill(_Model):
    """A medical bill the appeal brings (the patient by position: no ID number travels)."""
    member: int = Field(ge=1)
    total_fen: Fen = Field(ge=0)
    basic_reimbursed_fen: Fen = Field(ge=0)
    covered_oop_fen: Fen = Field(ge=0)
    diagnosis: str | None = None


class AppealFactChanges(_Model):
    """What an appeal changes in the facts a layer was decided on (None / empty: unchanged)."""
    members: tuple[MemberFactChange, ...] = ()
    medical_bills: tuple[NewBill, ...] = Field(default=(), description="added to the bills decided on")
    emergency_loss_fen: Fen | None = Field(default=None, ge=0, description="replaces the emergency loss")
    has_supporter: bool | None = None


class AppealFiled(_Model):
    """An appeal on one layer (intake -> the layer's department and disbursement; key application_id)."""
    appeal_id: uuid.UUID
    layer: int = Field(ge=1, le=5)
    grounds: str = Field(min_length=1)
    facts: AppealFactChanges
    filed_at: datetime
    language: Language = Language.zh


class AppealOutcome(str, Enum):
    upheld = "upheld"    # no change in the household's favour: nothing paid, nothing paid back
    revised = "revised"  # a higher amount: the difference is paid as a supplement


class AppealDecided(_Model):
    """An appeal's outcome once its layer and every later one decided again (disbursement -> intake,
    notification; key application_id)."""
    appeal_id: uuid.UUID
    layer: int = Field(ge=1, le=5)
    outcome: AppealOutcome
    supplement_fen: Fen = Field(ge=0)
    payment_id: uuid.UUID | None = Field(default=None, description="the supplement payment (revised only)")
    paid_before_fen: Fen = Field(ge=0, description="what the application's payments paid before this appeal")
    total_fen: Fen = Field(ge=0, description="the total of the decisions after this appeal")
    lines: tuple[PaymentLine, ...] = Field(default=(), description="the supplement's lines")
    decisions: tuple[Decision, ...] = Field(description="the decisions this appeal's round made again")
    account_kind: str
    account_last4: str = Field(pattern=r"^[0-9A-Za-z]{0,4}$")
    language: Language = Language.zh
    decided_at: datetime


# ---- registries (verification <-> registries; intake -> registries) ------------------------

class RegistryQuery(_Model):
    """Who to look up (personal data: this topic is between verification and the registries only)."""
    id_numbers: tuple[str, ...] = Field(min_length=1, max_length=50)


class RegistryPerson(_Model):
    """One person as the registries know them; known=false: no registry holds them (the rest is null)."""
    id_number: str
    known: bool
    hukou_region: str | None = None
    alive: bool | None = None
    disability_grade: int | None = Field(default=None, ge=1, le=4)
    monthly_income_fen: Fen | None = Field(default=None, ge=0)
    financial_assets_fen: Fen | None = Field(default=None, ge=0)
    vehicles: int | None = Field(default=None, ge=0)
    recorded_at: datetime | None = None


class RegistryAnswered(_Model):
    people: tuple[RegistryPerson, ...]
    answered_at: datetime


class RegistryRecordsSubmitted(_Model):
    """Records a department posted through the API, already validated by intake (RegistryRecord lines)."""
    records: tuple[dict, ...] = Field(min_length=1)


# ---- the caseload (caseload <-> intake, disbursement, notification) ------------------------

class RecipientStatus(str, Enum):
    extreme_poverty = "extreme_poverty"
    mla = "mla"
    low_income = "low_income"
    exited = "exited"


class RecipientChange(str, Enum):
    enrolled = "enrolled"    # an application approved for a caseload program
    imported = "imported"    # moved in by `jointaid caseload import`
    continued = "continued"  # annual review: same status and amount
    adjusted = "adjusted"    # annual review: new amount
    changed = "changed"      # annual review: new status
    exited = "exited"        # annual review: no longer eligible


class RecipientChanged(_Model):
    """A household of the caseload, after a change (key and envelope application_id: recipient_id).
    No personal data: members are counted, not named."""
    recipient_id: uuid.UUID
    change: RecipientChange
    status: RecipientStatus
    monthly_amount_fen: Fen = Field(ge=0)
    members: int = Field(ge=1)
    region_code: str
    enrolled_on: date
    next_review_on: date
    effective_period: Period | None = Field(default=None, pattern=PERIOD_PATTERN,
                                            description="the first period paid under this change")
    reason: str = ""
    reason_zh: str = ""
    application_id: uuid.UUID | None = Field(default=None, description="the application that enrolled it")
    language: Language = Language.zh
    # an annual review's outcome: which review, and the terms it replaces from effective_period
    review_id: uuid.UUID | None = Field(default=None, description="the annual review that decided this change")
    prior_status: RecipientStatus | None = Field(default=None, description="review: the status before effective_period")
    prior_monthly_amount_fen: Fen | None = Field(default=None, ge=0,
                                                 description="review: the monthly amount the household would get without it")


class RunKind(str, Enum):
    monthly = "monthly"
    price_subsidy = "price_subsidy"


class PaymentRunRequested(_Model):
    """An operator started a payment run (key and envelope application_id: run_id)."""
    run_id: uuid.UUID
    kind: RunKind
    period: Period = Field(pattern=PERIOD_PATTERN)
    cpi_yoy_bp: int | None = Field(default=None, ge=-10000, le=100000)
    food_cpi_yoy_bp: int | None = Field(default=None, ge=-10000, le=100000)
    requested_by: str


class EntitlementMade(_Model):
    """One household's payment of a run, for disbursement to pay (key and envelope application_id:
    recipient_id). Carries the payout account: only disbursement reads this topic."""
    entitlement_id: uuid.UUID
    run_id: uuid.UUID
    recipient_id: uuid.UUID
    kind: RunKind
    period: Period = Field(pattern=PERIOD_PATTERN)
    program: Program
    amount_fen: Fen = Field(gt=0)
    members: int = Field(ge=1)
    payout_account: PayoutAccount
    language: Language = Language.zh


class ReviewRequested(_Model):
    """An operator started the annual review of every recipient due by `as_of` (key: review_id)."""
    review_id: uuid.UUID
    as_of: date
    requested_by: str


# ---- leads: policy finds the person (discovery <-> intake) ------------------------------------

class LeadRule(_Model):
    """One rule that fired, with its figures in words (no personal data)."""
    rule: str = Field(description="medical_spending | income_drop | disability | death | report")
    figures: str
    figures_zh: str


class LeadRaised(_Model):
    """A household a rule points to (key and envelope application_id: lead_id). Counted, not named."""
    lead_id: uuid.UUID
    rules: tuple[LeadRule, ...] = Field(min_length=1)
    region_code: str
    members: int = Field(ge=1)
    raised_at: datetime


class LeadOutcome(str, Enum):
    application = "application"        # consent given: an application was registered
    consent_refused = "consent_refused"  # nothing more is looked up


class LeadClosed(_Model):
    """A lead's end (key: lead_id)."""
    lead_id: uuid.UUID
    outcome: LeadOutcome
    application_id: uuid.UUID | None = None
    closed_at: datetime


class LeadConsented(_Model):
    """A caseworker recorded the household's answer (key: lead_id; intake -> discovery)."""
    lead_id: uuid.UUID
    given: bool
    channel: str
    at: datetime
    by: str = Field(description="the caseworker's subject")
    application_id: uuid.UUID | None = Field(default=None, description="given: the application registered")


class SignalsSubmitted(_Model):
    """Signals a department posted through the API, already validated by intake (SignalLine lines;
    personal data: only discovery reads this topic). Key: a batch id."""
    signals: tuple[dict, ...] = Field(min_length=1)


EVENT_MODELS: dict[str, type[_Model]] = {
    "aid.application.submitted.v1": ApplicationSubmitted,
    "aid.application.verified.v1": ApplicationVerified,
    "aid.application.rejected.v1": ApplicationRejected,
    "aid.decision.made.v1": DecisionMade,
    "aid.payment.issued.v1": PaymentIssued,
    "aid.payment.failed.v1": PaymentFailed,
    "aid.notification.sent.v1": NotificationSent,
    "aid.case.escalated.v1": CaseEscalated,
    "aid.registry.query.v1": RegistryQuery,
    "aid.registry.answered.v1": RegistryAnswered,
    "aid.registry.records.v1": RegistryRecordsSubmitted,
    "aid.recipient.changed.v1": RecipientChanged,
    "aid.payment_run.requested.v1": PaymentRunRequested,
    "aid.entitlement.made.v1": EntitlementMade,
    "aid.review.requested.v1": ReviewRequested,
    "aid.lead.raised.v1": LeadRaised,
    "aid.lead.closed.v1": LeadClosed,
    "aid.lead.consented.v1": LeadConsented,
    "aid.signals.submitted.v1": SignalsSubmitted,
    "aid.referral.made.v1": ReferralMade,
    "aid.referral.answered.v1": ReferralAnswered,
    "aid.advance.requested.v1": AdvanceRequested,
    "aid.approval.requested.v1": ApprovalRequested,
    "aid.approval.decided.v1": ApprovalDecided,
    "aid.appeal.filed.v1": AppealFiled,
    "aid.appeal.decided.v1": AppealDecided,
}

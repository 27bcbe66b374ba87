"""The body of POST /v1/applications: one application for the whole household.

Every refusal names its rule in words a caseworker reads, and names the field it is about
(rules that compare several fields raise their errors at the most specific field, e.g.
``household.members.2.id_number``). Messages never echo the submitted value.

"Now" (for dates in the future) is, in order: ``context={"now": datetime}`` given to
``model_validate``/``model_validate_json``, else the module-level function ``now()`` (tests
may monkeypatch it). It is taken in Asia/Shanghai.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from contracts import idnumber
from contracts.events import CareLevel, Language, ReferralService, Residence

SHANGHAI = ZoneInfo("Asia/Shanghai")

MAX_MEMBERS = 20
MAX_BILLS = 50
MAX_DIAGNOSES = 20
MAX_MONEY_FEN = 10_000_000_000  # 100,000,000 yuan: no single amount in this system is larger
MAX_MONTHLY_INCOME_FEN = 10_000_000  # 100,000 yuan a month

__all__ = [
    "SHANGHAI",
    "MAX_MEMBERS",
    "MAX_BILLS",
    "MAX_DIAGNOSES",
    "MAX_MONEY_FEN",
    "MAX_MONTHLY_INCOME_FEN",
    "now",
    "Channel",
    "Relation",
    "EmergencyKind",
    "AccountKind",
    "Residence",
    "CareLevel",
    "Language",
    "Member",
    "MedicalBill",
    "Emergency",
    "Consent",
    "Household",
    "Needs",
    "UrgentKind",
    "Urgent",
    "PayoutAccount",
    "ApplicationIn",
]


def now() -> datetime:
    """The current time in Asia/Shanghai (monkeypatch in tests, or pass context={"now": ...})."""
    return datetime.now(SHANGHAI)


def _now(info: ValidationInfo) -> datetime:
    context = info.context
    if isinstance(context, dict) and context.get("now") is not None:
        current = context["now"]
    else:
        current = now()
    if current.tzinfo is None:
        current = current.replace(tzinfo=SHANGHAI)
    return current.astimezone(SHANGHAI)


def _today(info: ValidationInfo) -> date:
    return _now(info).date()


def _rule(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message)


# ---- enums ---------------------------------------------------------------------------------

class Channel(str, Enum):
    window = "window"  # the single service window
    online = "online"  # web portal
    hotline = "hotline"  # telephone hotline, caseworker enters the application
    app = "app"  # mobile app / mini program
    outreach = "outreach"  # caseworker visit after a monitoring alert ("policy finds the person")


class Relation(str, Enum):
    self = "self"
    spouse = "spouse"
    child = "child"
    parent = "parent"
    sibling = "sibling"
    grandparent = "grandparent"
    grandchild = "grandchild"
    other = "other"


class EmergencyKind(str, Enum):
    fire = "fire"
    flood = "flood"
    earthquake = "earthquake"
    typhoon = "typhoon"
    landslide = "landslide"
    accident = "accident"
    other = "other"


class AccountKind(str, Enum):
    social_security_card = "social_security_card"
    bank_card = "bank_card"


# ---- field types ---------------------------------------------------------------------------

def _money_check(ceiling: int, what: str):
    def check(value: Any) -> int:
        if type(value) is not int:  # refuses 1.5, 100.0, "100", True
            raise _rule("money_not_integer", "money must be a whole number of fen (an integer; not a decimal, text or true/false)")
        if value < 0:
            raise _rule("money_negative", "money cannot be negative")
        if value > ceiling:
            raise _rule("money_too_large", f"{what} is above the ceiling of {ceiling // 100:,} yuan ({ceiling:,} fen)")
        return value

    return check


Fen = Annotated[
    int,
    Field(strict=True, ge=0, le=MAX_MONEY_FEN, description="integer fen (1 yuan = 100 fen)"),
    BeforeValidator(_money_check(MAX_MONEY_FEN, "amount")),
]
MonthlyIncomeFen = Annotated[
    int,
    Field(strict=True, ge=0, le=MAX_MONTHLY_INCOME_FEN, description="integer fen per month"),
    BeforeValidator(_money_check(MAX_MONTHLY_INCOME_FEN, "monthly income")),
]

def _printable(value: str) -> str:
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise PydanticCustomError("control_character", "a name cannot contain control characters (tabs, line breaks, NUL)")
    return value


Name = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1, max_length=50),
                 AfterValidator(_printable)]
RegionCode = Annotated[str, StringConstraints(strict=True, pattern=r"^[0-9]{6}$")]
Phone = Annotated[str, StringConstraints(strict=True, pattern=r"^(?:\+86)?1[3-9][0-9]{9}$|^0[0-9]{2,3}-?[0-9]{7,8}$")]
AccountNumber = Annotated[str, StringConstraints(strict=True, pattern=r"^[0-9]{8,30}$")]
DiagnosisCode = Annotated[str, StringConstraints(strict=True, pattern=r"^[a-z_]{1,40}$")]


def _check_id_number(value: str, info: ValidationInfo) -> str:
    reason = idnumber.problem(value)
    if reason is not None:
        kind = {
            idnumber.FORMAT_PROBLEM: "id_number_format",
            idnumber.BIRTH_DATE_PROBLEM: "id_number_birth_date",
            idnumber.CHECK_DIGIT_PROBLEM: "id_number_check_digit",
        }[reason]
        raise _rule(kind, reason)
    value = idnumber.normalise(value)
    if idnumber.birth_date(value) > _today(info):
        raise _rule("id_number_birth_in_future", "ID number contains a birth date in the future")
    return value


IdNumber = Annotated[StrictStr, AfterValidator(_check_id_number)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---- models --------------------------------------------------------------------------------

class Member(_In):
    id_number: IdNumber
    name: Name
    relation: Relation
    monthly_income_fen: MonthlyIncomeFen | None = Field(
        default=None, description="declared; the income registry wins where it knows the person")
    care_level: CareLevel | None = None
    disability_grade: StrictInt | None = Field(default=None, ge=1, le=4, description="1 (most severe) to 4")
    diagnoses: list[DiagnosisCode] = Field(default_factory=list, max_length=MAX_DIAGNOSES)


class MedicalBill(_In):
    member_id_number: IdNumber
    total_fen: Fen
    basic_reimbursed_fen: Fen
    covered_oop_fen: Fen = Field(description="the part of the out-of-pocket amount that critical-illness insurance covers")
    diagnosis: DiagnosisCode | None = None

    @property
    def oop_fen(self) -> int:
        """Out of pocket: total - basic_reimbursed."""
        return self.total_fen - self.basic_reimbursed_fen

    @model_validator(mode="after")
    def _parts_fit(self) -> "MedicalBill":
        if self.basic_reimbursed_fen > self.total_fen:
            raise _fail("MedicalBill", [(
                ("basic_reimbursed_fen",), "bill_reimbursed_exceeds_total",
                "basic reimbursement exceeds the bill's total",
            )])
        if self.covered_oop_fen > self.total_fen - self.basic_reimbursed_fen:
            raise _fail("MedicalBill", [(
                ("covered_oop_fen",), "bill_covered_exceeds_oop",
                "covered part exceeds the out-of-pocket part (total minus basic reimbursement)",
            )])
        return self


class Emergency(_In):
    kind: EmergencyKind
    loss_fen: Fen
    occurred_on: date

    @field_validator("occurred_on")
    @classmethod
    def _not_future(cls, value: date, info: ValidationInfo) -> date:
        if value > _today(info):
            raise _rule("date_in_future", "the emergency cannot have occurred in the future")
        return value


class Consent(_In):
    given: StrictBool
    at: datetime
    channel: Channel

    @field_validator("given")
    @classmethod
    def _must_be_given(cls, value: bool) -> bool:
        if value is not True:
            raise _rule("consent_not_given", "consent not given: no data may be checked without it")
        return value

    @field_validator("at")
    @classmethod
    def _not_future(cls, value: datetime, info: ValidationInfo) -> datetime:
        return consent_time(value, info)


def consent_time(value: datetime, info: ValidationInfo) -> datetime:
    """When consent was given: a local time without offset is Asia/Shanghai; never in the future (also the rule of
    a lead's consent, contracts/lead_consent.py)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    try:
        late = value > _now(info)
    except (OverflowError, ValueError):
        raise _rule("date_implausible", "consent time is not a plausible date") from None
    if late:
        raise _rule("date_in_future", "consent time is in the future")
    return value


class Household(_In):
    members: list[Member] = Field(min_length=1, max_length=MAX_MEMBERS)
    financial_assets_fen: Fen | None = Field(default=None, description="declared; the assets registry wins where it knows every member")
    owns_vehicle: StrictBool | None = Field(default=None, description="declared; the assets registry wins where it knows every member")
    has_supporter: StrictBool

    @model_validator(mode="after")
    def _no_duplicates(self) -> "Household":
        seen: set[str] = set()
        problems = []
        for index, member in enumerate(self.members):
            if member.id_number in seen:
                problems.append((
                    ("members", index, "id_number"), "member_duplicate",
                    "the same ID number is listed twice in the household",
                ))
            seen.add(member.id_number)
        if problems:
            raise _fail("Household", problems)
        return self


SERVICE_NAMES = tuple(service.value for service in ReferralService)


def _known_service(value: Any) -> Any:
    if not isinstance(value, str) or value not in SERVICE_NAMES:
        raise _rule("service_unknown", f"unknown service: the services are {', '.join(SERVICE_NAMES)}")
    return value


class Needs(_In):
    medical_bills: list[MedicalBill] = Field(default_factory=list, max_length=MAX_BILLS)
    emergency: Emergency | None = None
    services: list[Annotated[ReferralService, BeforeValidator(_known_service)]] = Field(
        default_factory=list, max_length=len(SERVICE_NAMES),
        description="services beside cash (each referred to a provider): care, counselling, employment, home_repair, companionship")

    @model_validator(mode="after")
    def _services_once(self) -> "Needs":
        problems = [(("services", index), "service_duplicate", "the same service is asked for twice")
                    for index, service in enumerate(self.services) if service in self.services[:index]]
        if problems:
            raise _fail("Needs", problems)
        return self


class UrgentKind(str, Enum):
    fire = "fire"
    flood = "flood"
    accident = "accident"
    critical_illness = "critical_illness"


class Urgent(_In):
    """Aid first, paperwork after: a caseworker marks the application urgent (intake refuses anyone else)."""
    kind: UrgentKind
    note: Annotated[str, StringConstraints(strict=True, strip_whitespace=True, max_length=500),
                    AfterValidator(_printable)] = ""


class PayoutAccount(_In):
    kind: AccountKind
    number: AccountNumber


class ApplicationIn(_In):
    applicant_id_number: IdNumber
    applicant_name: Name
    phone: Phone
    region_code: RegionCode
    residence: Residence
    channel: Channel
    consent: Consent
    household: Household
    needs: Needs
    payout_account: PayoutAccount
    language: Language = Language.zh
    urgent: Urgent | None = Field(default=None, description="marked by a caseworker (token required): an advance at once")

    @model_validator(mode="after")
    def _household_fits_applicant(self) -> "ApplicationIn":
        members = self.household.members
        ids = [m.id_number for m in members]
        problems = []
        if self.applicant_id_number not in ids:
            problems.append((
                ("applicant_id_number",), "applicant_not_member",
                "applicant is not among the household members",
            ))
        else:
            index = ids.index(self.applicant_id_number)
            if members[index].relation is not Relation.self:
                problems.append((
                    ("household", "members", index, "relation"), "applicant_not_self",
                    "the applicant's own entry must have relation 'self'",
                ))
        for index, member in enumerate(members):
            if member.relation is Relation.self and member.id_number != self.applicant_id_number:
                problems.append((
                    ("household", "members", index, "relation"), "self_not_applicant",
                    "relation 'self' is only for the applicant, and this member's ID number differs from the applicant's",
                ))
        known = set(ids)
        for index, bill in enumerate(self.needs.medical_bills):
            if bill.member_id_number not in known:
                problems.append((
                    ("needs", "medical_bills", index, "member_id_number"), "bill_member_unknown",
                    "the bill's patient is not among the household members",
                ))
        if problems:
            raise _fail("ApplicationIn", problems)
        return self


def _fail(title: str, problems: list[tuple[tuple, str, str]]) -> ValidationError:
    """A ValidationError whose errors sit at the given locations (relative to the model).

    Raised from a model validator, pydantic places these under the model's own location,
    so a cross-field rule names the field it is about. No input is carried.
    """
    return ValidationError.from_exception_data(
        title,
        [InitErrorDetails(type=_rule(kind, message), loc=loc, input=None) for loc, kind, message in problems],
    )

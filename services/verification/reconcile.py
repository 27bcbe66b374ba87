"""The registry wins over the declaration (DOMAIN.md "Registries instead of paper"). Pure: no I/O.

Per member, what the registries know replaces what was declared: income (income registry), disability
grade (disability registry), alive (population registry: a deceased member is not counted). The
applicant's hukou region (population registry) decides a declared or denied hukou residence. Household
assets and vehicles come from the assets registry when it knows every counted member; otherwise the
declaration stands, raised to what the registry already shows for the members it knows. A member no
registry knows is decided on the declaration and marked `declared_only`. Every difference is named with
both figures, in English (caseworkers) and Chinese (the citizen's notice).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from contracts.application import ApplicationIn, Member
from contracts.events import RegistryCheck, RegistryPerson, Residence
from contracts.registry import REGISTRY_OF_FIELD
from services.kit.money import format_yuan, format_yuan_zh


class Refused(Exception):
    """The application cannot be decided on these facts: rule and reason, as a rejection carries them."""

    def __init__(self, rule: str, reason: str) -> None:
        super().__init__(reason)
        self.rule, self.reason = rule, reason


@dataclass(frozen=True)
class CountedMember:
    member: Member
    position: int  # 1-based, as caseworkers count the application's members
    monthly_income_fen: int
    disability_grade: int | None
    declared_only: bool


@dataclass
class Reconciled:
    members: list[CountedMember] = field(default_factory=list)
    residence: Residence = Residence.other
    financial_assets_fen: int = 0
    owns_vehicle: bool = False
    notes: list[str] = field(default_factory=list)
    notes_zh: list[str] = field(default_factory=list)
    checks: list[RegistryCheck] = field(default_factory=list)

    def note(self, en: str, zh: str) -> None:
        self.notes.append(en)
        self.notes_zh.append(zh)


def reconcile(app: ApplicationIn, people: dict[str, RegistryPerson]) -> Reconciled:
    """The facts to decide on: registry figures where known, declarations elsewhere; Refused when neither."""
    out = Reconciled()
    known: list[RegistryPerson] = []
    for position, member in enumerate(app.household.members, start=1):
        person = people.get(member.id_number)
        person = person if person is not None and person.known else None
        if person is not None:
            out.checks += checks_of(position, person)
            if person.alive is False:
                if member.id_number == app.applicant_id_number:
                    raise Refused("applicant_deceased", "the population registry records the applicant as deceased")
                out.note(f"member {position}: the population registry records a death; not counted in the household",
                         f"第{position}位成员：户籍登记显示已死亡，不计入家庭人口")
                continue
            known.append(person)
        out.members.append(member_facts(out, position, member, person))
    out.residence = residence(out, app, people.get(app.applicant_id_number))
    every_member_known = len(known) == len(out.members)
    out.financial_assets_fen = assets(out, app, known, every_member_known)
    out.owns_vehicle = vehicles(out, app, known, every_member_known)
    return out


def checks_of(position: int, person: RegistryPerson) -> list[RegistryCheck]:
    return [RegistryCheck(member=position, registry=registry, field=name, value=getattr(person, name),
                          recorded_at=person.recorded_at) for name, registry in REGISTRY_OF_FIELD.items()]


def member_facts(out: Reconciled, position: int, member: Member, person: RegistryPerson | None) -> CountedMember:
    if person is None:
        if member.monthly_income_fen is None:
            raise Refused("facts_missing", f"member {position} is in no registry and the application gives no monthly income for them")
        return CountedMember(member, position, member.monthly_income_fen, member.disability_grade, declared_only=True)
    income = person.monthly_income_fen or 0
    if member.monthly_income_fen is not None and member.monthly_income_fen != income:
        out.note(f"member {position}: declared income {format_yuan(member.monthly_income_fen)} yuan; "
                 f"the income registry shows {format_yuan(income)} yuan",
                 f"第{position}位成员：申报月收入 {format_yuan_zh(member.monthly_income_fen)}，收入登记为 {format_yuan_zh(income)}")
    if member.disability_grade != person.disability_grade:
        out.note(f"member {position}: declared disability grade {grade_en(member.disability_grade)}; "
                 f"the disability registry shows {grade_en(person.disability_grade)}",
                 f"第{position}位成员：申报残疾等级 {grade_zh(member.disability_grade)}，残疾登记为 {grade_zh(person.disability_grade)}")
    return CountedMember(member, position, income, person.disability_grade, declared_only=False)


def grade_en(grade: int | None) -> str:
    return "none" if grade is None else str(grade)


def grade_zh(grade: int | None) -> str:
    return "无" if grade is None else f"{grade}级"


def residence(out: Reconciled, app: ApplicationIn, applicant: RegistryPerson | None) -> Residence:
    """The applicant's hukou region in the population registry decides whether residence is hukou."""
    if applicant is None or not applicant.known or applicant.hukou_region is None:
        return app.residence
    local = applicant.hukou_region == app.region_code
    if app.residence == Residence.hukou and not local:
        out.note(f"declared hukou in {app.region_code}; the population registry shows hukou in {applicant.hukou_region}",
                 f"申报户籍在 {app.region_code}，户籍登记在 {applicant.hukou_region}，不按本地户籍认定")
        return Residence.other
    if app.residence != Residence.hukou and local:
        out.note(f"declared {app.residence.value}; the population registry shows hukou in {app.region_code}",
                 f"申报为非本地户籍，户籍登记在本地（{app.region_code}），按本地户籍认定")
        return Residence.hukou
    return app.residence


def assets(out: Reconciled, app: ApplicationIn, known: list[RegistryPerson], every_member_known: bool) -> int:
    declared = app.household.financial_assets_fen
    registered = sum(p.financial_assets_fen or 0 for p in known)
    if every_member_known:
        if declared is not None and declared != registered:
            out.note(f"declared financial assets {format_yuan(declared)} yuan; the assets registry shows {format_yuan(registered)} yuan",
                     f"申报家庭金融资产 {format_yuan_zh(declared)}，资产登记为 {format_yuan_zh(registered)}")
        return registered
    if declared is None:
        raise Refused("facts_missing", "some members are in no registry and the application gives no financial assets")
    if registered > declared:
        out.note(f"declared financial assets {format_yuan(declared)} yuan; the assets registry shows "
                 f"{format_yuan(registered)} yuan for the members it knows",
                 f"申报家庭金融资产 {format_yuan_zh(declared)}，资产登记仅已登记成员即为 {format_yuan_zh(registered)}")
    return max(declared, registered)


def vehicles(out: Reconciled, app: ApplicationIn, known: list[RegistryPerson], every_member_known: bool) -> bool:
    declared = app.household.owns_vehicle
    registered = any((p.vehicles or 0) > 0 for p in known)
    if every_member_known:
        if declared is not None and declared != registered:
            out.note(f"declared {'a' if declared else 'no'} vehicle; the assets registry shows {'one' if registered else 'none'}",
                     f"申报{'有' if declared else '无'}机动车，资产登记为{'有' if registered else '无'}")
        return registered
    if declared is None:
        raise Refused("facts_missing", "some members are in no registry and the application does not say whether the household owns a vehicle")
    if registered and not declared:
        out.note("declared no vehicle; the assets registry shows one", "申报无机动车，资产登记为有")
    return declared or registered

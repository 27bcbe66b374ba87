"""The region policy: every number of the rulebook, loaded from versioned, effective-dated TOML files.

Money is integer yuan in the file (keys end in `_yuan`) and integer fen in code (properties
end in `_fen`); ratios and multipliers are integer basis points (`_bp`, 10,000 = 100%).
Nothing is a float: the models accept strict integers only.

A region's policy is a *set* of versions (DOMAIN.md "The caseload", Policy versions): each file
is one version with its `effective_from`; a version is in force from that day until the next
version's. An application is decided under the version in force on its submission date
(`policy_on(facts.submitted_on)`), a monthly amount for period `YYYY-MM` under the version in
force on the period's first day (`policy_for_period`).
"""
from __future__ import annotations

import logging
import os
import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError, field_validator

from contracts.events import CareLevel, HouseholdStatus, RecipientStatus, Residence
from services.kit.money import BASIS_POINTS, apply_ratio, yuan_to_fen

ROOT = Path(__file__).resolve().parents[2]
ENV_POLICY = "JOINTAID_POLICY"

Ratio = Annotated[StrictInt, Field(ge=0, le=BASIS_POINTS)]
Multiplier = Annotated[StrictInt, Field(gt=0, le=10 * BASIS_POINTS)]
Yuan = Annotated[StrictInt, Field(ge=0)]
PositiveYuan = Annotated[StrictInt, Field(gt=0)]
Age = Annotated[StrictInt, Field(ge=0, le=150)]


class PolicyError(ValueError):
    """A policy file that cannot be read or does not validate; the message names file and field."""


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tier(_Part):
    """From `from_yuan` (inclusive) of the base upwards, the amount is `amount_yuan`."""
    from_yuan: PositiveYuan
    amount_yuan: PositiveYuan

    @property
    def from_fen(self) -> int:
        return yuan_to_fen(self.from_yuan)

    @property
    def amount_fen(self) -> int:
        return yuan_to_fen(self.amount_yuan)


Tiers = Annotated[tuple[Tier, ...], Field(min_length=1)]


def _check_tiers(tiers: tuple[Tier, ...]) -> tuple[Tier, ...]:
    for lower, upper in zip(tiers, tiers[1:]):
        if upper.from_yuan <= lower.from_yuan:
            raise ValueError(
                f"tiers must be sorted by from_yuan ascending: {upper.from_yuan} after {lower.from_yuan}")
        if upper.amount_yuan < lower.amount_yuan:
            raise ValueError(
                f"tier amounts must not decrease: {upper.amount_yuan} after {lower.amount_yuan}")
    return tiers


def format_bp(ratio_bp: int) -> str:
    """Basis points as a percentage for reasons: 6500 -> "65%", 6550 -> "65.5%", 15000 -> "150%"."""
    whole, rest = divmod(ratio_bp, 100)
    return f"{whole}%" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0") + "%"


def pick_tier(tiers: tuple[Tier, ...], base_fen: int) -> Tier | None:
    """The highest tier whose lower bound the base reaches, or None below the first tier."""
    reached = [tier for tier in tiers if base_fen >= tier.from_fen]
    return reached[-1] if reached else None


class Living(_Part):
    minimum_living_standard_yuan: PositiveYuan
    asset_limit_months: Annotated[StrictInt, Field(gt=0)]
    low_income_multiplier_bp: Multiplier


class CareSubsidy(_Part):
    disabled: Yuan
    semi_disabled: Yuan
    self_care: Yuan


class ExtremePoverty(_Part):
    basic_support_multiplier_bp: Multiplier
    basic_support_round_up_yuan: PositiveYuan
    care_subsidy_yuan: CareSubsidy


class LabourCapacity(_Part):
    elderly_from_age: Age
    adult_from_age: Age
    disability_grades: tuple[Annotated[StrictInt, Field(ge=1, le=4)], ...]


class CriticalIllness(_Part):
    threshold_yuan: Yuan
    ratio_bp: Ratio
    aided_threshold_yuan: Yuan
    aided_ratio_bp: Ratio
    aided_statuses: tuple[HouseholdStatus, ...]


class AssistanceRatios(_Part):
    extreme_poverty: Ratio
    mla: Ratio
    low_income: Ratio
    catastrophic: Ratio


class MedicalAssistance(_Part):
    cap_yuan: Yuan
    catastrophic_income_share_bp: Ratio
    catastrophic_income_months: Annotated[StrictInt, Field(gt=0)]
    ratio_bp: AssistanceRatios


class TemporaryAssistance(_Part):
    residences: tuple[Residence, ...]
    tiers: Tiers

    @field_validator("tiers")
    @classmethod
    def _tiers_sorted(cls, tiers: tuple[Tier, ...]) -> tuple[Tier, ...]:
        return _check_tiers(tiers)


class RedCross(_Part):
    fund_yearly_budget_yuan: Yuan
    major_illnesses: tuple[StrictStr, ...]
    tiers: Tiers

    @field_validator("tiers")
    @classmethod
    def _tiers_sorted(cls, tiers: tuple[Tier, ...]) -> tuple[Tier, ...]:
        return _check_tiers(tiers)


class PriceSubsidy(_Part):
    """Price-linked temporary subsidy (DOMAIN.md "The caseload"): starts when CPI or food CPI year-on-year
    reaches its trigger; S x the CPI rise per member of every recipient household of `programs`."""
    cpi_trigger_bp: Annotated[StrictInt, Field(gt=0)]
    food_cpi_trigger_bp: Annotated[StrictInt, Field(gt=0)]
    programs: Annotated[tuple[HouseholdStatus, ...], Field(min_length=1)]


class Advance(_Part):
    """Aid first, paperwork after (DOMAIN.md "Emergencies"): an urgent application's advance of temporary
    assistance, the tier of its declared hardship, at most `max_yuan`."""
    max_yuan: PositiveYuan

    @property
    def max_fen(self) -> int:
        return yuan_to_fen(self.max_yuan)


class Approval(_Part):
    """A payment whose total is strictly above `threshold_yuan` waits for a second person (approver role)."""
    threshold_yuan: PositiveYuan

    @property
    def threshold_fen(self) -> int:
        return yuan_to_fen(self.threshold_yuan)


class Appeals(_Part):
    """An appeal is filed within `window_days` of the notice, and decided within `decide_within_days` or escalated."""
    window_days: Annotated[StrictInt, Field(gt=0, le=3660)]
    decide_within_days: Annotated[StrictInt, Field(gt=0, le=3660)]


class LeadsCoveredBy(_Part):
    """Per signal, the caseload statuses that already answer it: a household recipient of one gets no lead for it."""
    medical_spending: tuple[RecipientStatus, ...]
    income_drop: tuple[RecipientStatus, ...]
    disability: tuple[RecipientStatus, ...]
    death: tuple[RecipientStatus, ...]
    report: tuple[RecipientStatus, ...]


class Leads(_Part):
    """Policy finds the person (DOMAIN.md): when a monitoring signal raises a lead (services/discovery/rules.py)."""
    medical_spending_window_days: Annotated[StrictInt, Field(gt=0, le=3660)]
    medical_spending_share_pct: Annotated[StrictInt, Field(gt=0, le=1000)]
    income_drop_pct: Annotated[StrictInt, Field(gt=0, le=100)]
    disability_max_grade: Annotated[StrictInt, Field(ge=1, le=4)]
    death_min_monthly_income_fen: Annotated[StrictInt, Field(ge=0)]
    covered_by: LeadsCoveredBy


class Policy(_Part):
    version: Annotated[StrictStr, Field(min_length=1)]
    effective_from: date
    region: StrictStr = ""
    living: Living
    extreme_poverty: ExtremePoverty
    labour_capacity: LabourCapacity
    critical_illness: CriticalIllness
    medical_assistance: MedicalAssistance
    temporary_assistance: TemporaryAssistance
    red_cross: RedCross
    price_subsidy: PriceSubsidy
    leads: Leads
    advance: Advance
    approval: Approval
    appeals: Appeals

    def is_effective_on(self, day: date) -> bool:
        return day >= self.effective_from

    @property
    def minimum_living_standard_fen(self) -> int:
        return yuan_to_fen(self.living.minimum_living_standard_yuan)

    @property
    def extreme_poverty_basic_fen(self) -> int:
        """ceil to the step of multiplier x S, computed exactly in integers."""
        step_fen = yuan_to_fen(self.extreme_poverty.basic_support_round_up_yuan)
        scaled = self.minimum_living_standard_fen * self.extreme_poverty.basic_support_multiplier_bp
        steps = -(-scaled // (BASIS_POINTS * step_fen))
        return steps * step_fen

    def care_subsidy_fen(self, level: CareLevel | None) -> int:
        if level is None:
            return 0
        return yuan_to_fen(getattr(self.extreme_poverty.care_subsidy_yuan, CareLevel(level).value))

    def asset_limit_fen(self, members: int) -> int:
        return self.living.asset_limit_months * self.minimum_living_standard_fen * members

    @property
    def critical_illness_threshold_fen(self) -> int:
        return yuan_to_fen(self.critical_illness.threshold_yuan)

    @property
    def critical_illness_aided_threshold_fen(self) -> int:
        return yuan_to_fen(self.critical_illness.aided_threshold_yuan)

    @property
    def medical_assistance_cap_fen(self) -> int:
        return yuan_to_fen(self.medical_assistance.cap_yuan)

    @property
    def red_cross_fund_yearly_fen(self) -> int:
        return yuan_to_fen(self.red_cross.fund_yearly_budget_yuan)

    @property
    def red_cross_fund_fen(self) -> int:
        """The Red Cross fund's yearly budget (alias of red_cross_fund_yearly_fen)."""
        return self.red_cross_fund_yearly_fen

    def is_major_illness(self, diagnosis: str) -> bool:
        return diagnosis in self.red_cross.major_illnesses

    def price_subsidy_triggered(self, cpi_yoy_bp: int, food_cpi_yoy_bp: int) -> bool:
        """Either index reaching its trigger starts the subsidy (at the trigger counts)."""
        return cpi_yoy_bp >= self.price_subsidy.cpi_trigger_bp or food_cpi_yoy_bp >= self.price_subsidy.food_cpi_trigger_bp

    def price_subsidy_per_person_fen(self, cpi_yoy_bp: int) -> int:
        """S x the CPI rise, half-up to the fen (855 yuan x 3.5% = 2,993 fen); nothing for a CPI that fell."""
        return apply_ratio(self.minimum_living_standard_fen, max(0, cpi_yoy_bp))


def _field_path(loc: tuple) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(file)"


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{_field_path(item['loc'])}: {message}")
    return "; ".join(parts)


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file; PolicyError names the file and the offending field."""
    try:
        with open(path, "rb") as handle:
            raw = tomllib.load(handle)
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read policy file: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return Policy.model_validate(raw)
    except ValidationError as exc:
        raise PolicyError(f"{path}: {_describe(exc)}") from exc


def default_policy_path() -> Path:
    """`$JOINTAID_POLICY` when set (a file: one version; a directory: all its *.toml), else `<repo>/policies`."""
    override = os.environ.get(ENV_POLICY)
    return Path(override) if override else ROOT / "policies"


SHANGHAI = ZoneInfo("Asia/Shanghai")
PERIOD = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


def period_start(period: str) -> date:
    """The first day of a period written `YYYY-MM` ("2027-12" -> 2027-12-01); anything else is a ValueError."""
    match = PERIOD.fullmatch(period) if isinstance(period, str) else None
    if not match or int(match.group(1)) < 1:
        raise ValueError(f"period {period!r} is not a month: a period is written YYYY-MM (e.g. 2027-01)")
    return date(int(match.group(1)), int(match.group(2)), 1)


@dataclass(frozen=True)
class PolicySet:
    """Every version of one region's policy, sorted by effective_from; `sources[i]` is the file of `versions[i]`."""
    versions: tuple[Policy, ...]
    sources: tuple[Path, ...]

    def __post_init__(self) -> None:
        if not self.versions or len(self.versions) != len(self.sources):
            raise PolicyError("a policy set needs at least one version, each with its file")
        order = sorted(range(len(self.versions)), key=lambda i: self.versions[i].effective_from)
        object.__setattr__(self, "versions", tuple(self.versions[i] for i in order))
        object.__setattr__(self, "sources", tuple(self.sources[i] for i in order))
        self._check()

    def _check(self) -> None:
        first, first_source = self.versions[0], self.sources[0]
        seen: dict[str, Path] = {}
        for policy, source in zip(self.versions, self.sources):
            if policy.region != first.region:
                raise PolicyError(
                    f"{source}: region {policy.region!r} differs from {first.region!r} of {first_source}: "
                    f"a policy set holds the versions of one region (mixed regions)")
            if policy.version in seen:
                raise PolicyError(
                    f"{source}: version {policy.version!r} is also the version of {seen[policy.version]}: "
                    f"each version needs its own name")
            seen[policy.version] = source
        for (earlier, earlier_source), (later, later_source) in zip(
                zip(self.versions, self.sources), zip(self.versions[1:], self.sources[1:])):
            if earlier.effective_from == later.effective_from:
                raise PolicyError(
                    f"{later_source}: effective_from {later.effective_from} is also the effective_from of "
                    f"{earlier_source} ({earlier.version}): two versions cannot be in force on the same day (overlap)")

    @property
    def region(self) -> str:
        return self.versions[0].region

    def index_on(self, day: date) -> int:
        index = bisect_right([policy.effective_from for policy in self.versions], day) - 1
        if index < 0:
            first = self.versions[0]
            raise PolicyError(
                f"no policy version in force on {day}: the first version, {first.version} ({self.sources[0]}), "
                f"is effective from {first.effective_from} (a gap before the first version)")
        return index

    def on(self, day: date) -> Policy:
        """The version in force on `day`: the latest whose effective_from is on or before it."""
        return self.versions[self.index_on(day)]

    def for_period(self, period: str) -> Policy:
        """The version in force on the first day of `period` (`YYYY-MM`)."""
        return self.on(period_start(period))

    def source_of(self, policy: Policy) -> Path:
        return self.sources[self.versions.index(policy)]


def load_policy_set(path: str | Path) -> PolicySet:
    """A file (a set of one version) or a directory (every *.toml in it, all validated); PolicyError names file and rule."""
    path = Path(path)
    if path.is_dir():
        files = sorted(child for child in path.glob("*.toml") if child.is_file())
        if not files:
            raise PolicyError(f"{path}: no policy files (*.toml) in the directory")
    else:
        files = [path]
    return PolicySet(tuple(load_policy(file) for file in files), tuple(files))


@lru_cache(maxsize=1)
def policy_set() -> PolicySet:
    """The policy set of this process, loaded once from default_policy_path() (policy_set.cache_clear() to reload)."""
    return load_policy_set(default_policy_path())


def policy_versions() -> tuple[Policy, ...]:
    """Every version of this process's policy set, sorted by effective_from (cached with policy_set)."""
    return policy_set().versions


def policy_on(day: date) -> Policy:
    """The version in force on `day` (an application: its submission date)."""
    return policy_set().on(day)


def policy_for_period(period: str) -> Policy:
    """The version in force on the first day of `period` ("2027-12"); a malformed period is a ValueError."""
    return policy_set().for_period(period)


def today_in_shanghai() -> date:
    return datetime.now(SHANGHAI).date()


def current_policy() -> Policy:
    """The version in force today (Asia/Shanghai), for a caller that has no date of its own.

    A decision has one: use policy_on(facts.submitted_on). `current_policy.cache_clear()` reloads the set.
    """
    return policy_on(today_in_shanghai())


current_policy.cache_clear = policy_set.cache_clear  # type: ignore[attr-defined]
policy_versions.cache_clear = policy_set.cache_clear  # type: ignore[attr-defined]


def check_policies(logger: logging.Logger | None = None) -> PolicySet:
    """Start-up: load and validate every version (PolicyError stops the process), log each, and the one in force today."""
    log = logger or logging.getLogger(__name__)
    policies = policy_set()
    for policy, source in zip(policies.versions, policies.sources):
        log.info("policy %s (%s) effective from %s, file %s", policy.version, policy.region or "no region",
                 policy.effective_from, source)
    today = today_in_shanghai()
    log.info("policy in force today (%s): %s", today, policies.on(today).version)
    return policies

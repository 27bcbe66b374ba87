"""The region policy: every number of the rulebook, loaded from a versioned TOML file.

Money is integer yuan in the file (keys end in `_yuan`) and integer fen in code (properties
end in `_fen`); ratios and multipliers are integer basis points (`_bp`, 10,000 = 100%).
Nothing is a float: the models accept strict integers only.
"""
from __future__ import annotations

import os
from functools import lru_cache
import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError, field_validator

from contracts.events import CareLevel, HouseholdStatus, Residence
from services.kit.money import BASIS_POINTS, yuan_to_fen

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
    """`$JOINTAID_POLICY` when set, else `<repo>/policies/default.toml`."""
    override = os.environ.get(ENV_POLICY)
    return Path(override) if override else ROOT / "policies" / "default.toml"


@lru_cache(maxsize=1)
def current_policy() -> Policy:
    """The policy of this process, loaded once from default_policy_path() (cache_clear() to reload)."""
    return load_policy(default_policy_path())

"""services/kit/policy.py and policies/default.toml: loading, validation, derived fen values."""
from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest

from contracts.events import CareLevel, HouseholdStatus, Residence
from services.kit import policy as policy_module
from services.kit.policy import (
    Policy, PolicyError, current_policy, default_policy_path, format_bp, load_policy, pick_tier,
)

DEFAULT = Path(__file__).resolve().parents[2] / "policies" / "default.toml"
DEFAULT_TEXT = DEFAULT.read_text(encoding="utf-8")


def write_policy(tmp_path: Path, text: str, name: str = "x.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def edited(old: str, new: str) -> str:
    assert DEFAULT_TEXT.count(old) == 1, old
    return DEFAULT_TEXT.replace(old, new)


def policy_with(**sections: dict) -> Policy:
    """The default policy with some section keys replaced (validated like a file)."""
    raw = tomllib.loads(DEFAULT_TEXT)
    for section, values in sections.items():
        raw[section] = {**raw[section], **values}
    return Policy.model_validate(raw)


# ---- the default file ---------------------------------------------------------------------

def test_default_file_loads_with_version_and_date() -> None:
    policy = load_policy(DEFAULT)
    assert policy.version == "xihu-2023.1"
    assert policy.effective_from == date(2023, 1, 1)
    assert policy.is_effective_on(date(2023, 1, 1))
    assert not policy.is_effective_on(date(2022, 12, 31))


def test_default_figures_in_fen() -> None:
    policy = load_policy(DEFAULT)
    assert policy.minimum_living_standard_fen == 85500
    assert policy.extreme_poverty_basic_fen == 112000
    assert policy.asset_limit_fen(1) == 24 * 85500
    assert policy.asset_limit_fen(4) == 8208000
    assert policy.living.low_income_multiplier_bp == 15000
    assert policy.critical_illness_threshold_fen == 1500000
    assert policy.critical_illness_aided_threshold_fen == 750000
    assert (policy.critical_illness.ratio_bp, policy.critical_illness.aided_ratio_bp) == (6000, 6500)
    assert set(policy.critical_illness.aided_statuses) == {HouseholdStatus.mla, HouseholdStatus.extreme_poverty}
    assert policy.medical_assistance_cap_fen == 6000000
    assert policy.medical_assistance.catastrophic_income_share_bp == 5000
    assert policy.medical_assistance.catastrophic_income_months == 12
    assert policy.red_cross_fund_yearly_fen == policy.red_cross_fund_fen == 100000000


def test_default_care_subsidies() -> None:
    policy = load_policy(DEFAULT)
    assert policy.care_subsidy_fen(CareLevel.disabled) == 148000
    assert policy.care_subsidy_fen(CareLevel.semi_disabled) == 37000
    assert policy.care_subsidy_fen(CareLevel.self_care) == 18500
    assert policy.care_subsidy_fen(None) == 0


def test_default_assistance_ratios_and_labour_capacity() -> None:
    policy = load_policy(DEFAULT)
    ratios = policy.medical_assistance.ratio_bp
    assert (ratios.extreme_poverty, ratios.mla, ratios.low_income, ratios.catastrophic) == (9000, 7000, 6000, 5000)
    labour = policy.labour_capacity
    assert (labour.elderly_from_age, labour.adult_from_age, labour.disability_grades) == (60, 16, (1, 2))


def test_default_tiers_and_major_illnesses() -> None:
    policy = load_policy(DEFAULT)
    temporary = [(t.from_fen, t.amount_fen) for t in policy.temporary_assistance.tiers]
    assert temporary == [(200000, 100000), (1000000, 300000), (3000000, 500000), (8000000, 1000000)]
    red_cross = [(t.from_fen, t.amount_fen) for t in policy.red_cross.tiers]
    assert red_cross == [(1000000, 300000), (3000000, 500000), (6000000, 1000000)]
    assert set(policy.temporary_assistance.residences) == {Residence.hukou, Residence.residence_permit}
    assert set(policy.red_cross.major_illnesses) == {
        "uremia", "leukemia", "malignant_tumor", "organ_transplant", "severe_burn", "congenital_heart_disease"}
    assert policy.is_major_illness("uremia") and not policy.is_major_illness("influenza")


def test_default_file_has_no_floats() -> None:
    def walk(value: object) -> None:
        assert not isinstance(value, float), value
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        if isinstance(value, list):
            for item in value:
                walk(item)
    walk(tomllib.loads(DEFAULT_TEXT))


# ---- derived values -----------------------------------------------------------------------

@pytest.mark.parametrize(("standard_yuan", "basic_fen"), [
    (855, 112000),   # 1,111.50 -> 1,120
    (900, 117000),   # exactly 1,170 stays
    (901, 118000),   # 1,171.30 -> 1,180
    (1000, 130000),
])
def test_extreme_poverty_basic_rounds_up_to_ten_yuan(standard_yuan: int, basic_fen: int) -> None:
    policy = policy_with(living={"minimum_living_standard_yuan": standard_yuan})
    assert policy.extreme_poverty_basic_fen == basic_fen


def test_pick_tier_boundaries() -> None:
    tiers = load_policy(DEFAULT).red_cross.tiers
    assert pick_tier(tiers, 999999) is None
    assert pick_tier(tiers, 1000000).amount_yuan == 3000
    assert pick_tier(tiers, 2999999).amount_yuan == 3000
    assert pick_tier(tiers, 3000000).amount_yuan == 5000
    assert pick_tier(tiers, 6000000).amount_yuan == 10000
    assert pick_tier(tiers, 10**12).amount_yuan == 10000


@pytest.mark.parametrize(("ratio_bp", "text"), [(6500, "65%"), (5000, "50%"), (6550, "65.5%"),
                                                (6505, "65.05%"), (15000, "150%"), (0, "0%")])
def test_format_bp(ratio_bp: int, text: str) -> None:
    assert format_bp(ratio_bp) == text


# ---- paths --------------------------------------------------------------------------------

def test_default_policy_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The directory of every version of the default region (default.toml is its first version)."""
    monkeypatch.delenv("JOINTAID_POLICY", raising=False)
    assert default_policy_path() == DEFAULT.parent
    assert DEFAULT in sorted(default_policy_path().glob("*.toml"))


def test_default_policy_path_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JOINTAID_POLICY", str(tmp_path / "region.toml"))
    assert default_policy_path() == tmp_path / "region.toml"


def test_current_policy_loads_the_env_file_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = write_policy(tmp_path, edited('version = "xihu-2023.1"', 'version = "test-9"'))
    monkeypatch.setenv("JOINTAID_POLICY", str(path))
    current_policy.cache_clear()
    try:
        assert current_policy().version == "test-9"
        assert current_policy() is current_policy()
    finally:
        current_policy.cache_clear()
    assert policy_module.ENV_POLICY == "JOINTAID_POLICY"


# ---- bad files ----------------------------------------------------------------------------

@pytest.mark.parametrize(("old", "new", "field", "words"), [
    ("mla = 7000", "mla = 10001", "medical_assistance.ratio_bp.mla", "less than or equal to 10000"),
    ("aided_ratio_bp = 6500", "aided_ratio_bp = -1", "critical_illness.aided_ratio_bp",
     "greater than or equal to 0"),
    ("minimum_living_standard_yuan = 855\n", "", "living.minimum_living_standard_yuan", "Field required"),
    ("minimum_living_standard_yuan = 855", "minimum_living_standard_yuan = 855.5",
     "living.minimum_living_standard_yuan", "integer"),
    ("cap_yuan = 60000", "cap_yuan = true", "medical_assistance.cap_yuan", "integer"),
    ("from_yuan = 2000", "from_yuan = 50000", "temporary_assistance.tiers", "sorted"),
    ("from_yuan = 60000", "from_yuan = 30000", "red_cross.tiers", "sorted"),
    ("amount_yuan = 10000\n\n[red_cross]", "amount_yuan = 4000\n\n[red_cross]",
     "temporary_assistance.tiers", "must not decrease"),
    ("from_yuan = 2000", "from_yuan = 0", "temporary_assistance.tiers[0].from_yuan", "greater than 0"),
    ('version = "xihu-2023.1"', 'version = "xihu-2023.1"\nsurprise = 1', "surprise", "Extra inputs"),
    ("effective_from = 2023-01-01\n", "", "effective_from", "Field required"),
    ('aided_statuses = ["mla", "extreme_poverty"]', 'aided_statuses = ["rich"]',
     "critical_illness.aided_statuses[0]", "Input should be"),
])
def test_bad_file_names_file_and_field(tmp_path: Path, old: str, new: str, field: str, words: str) -> None:
    path = write_policy(tmp_path, edited(old, new))
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert f"{field}: " in message
    assert words in message


def test_policy_error_message_shape(tmp_path: Path) -> None:
    path = write_policy(tmp_path, edited("mla = 7000", "mla = 10001"))
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(caught.value) == f"{path}: medical_assistance.ratio_bp.mla: Input should be less than or equal to 10000"
    assert isinstance(caught.value, ValueError)


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="missing.toml: cannot read"):
        load_policy(tmp_path / "missing.toml")
    with pytest.raises(PolicyError, match="broken.toml: not valid TOML"):
        load_policy(write_policy(tmp_path, "version = ", "broken.toml"))


def test_policy_is_frozen() -> None:
    policy = load_policy(DEFAULT)
    with pytest.raises(Exception):
        policy.version = "other"  # type: ignore[misc]

"""Policy versions chosen by date (DOMAIN.md "The caseload", Policy versions): the set in policies/,
the switch to the scheduled raise of 2028-01-01, the handlers' choice, and every refusal of the loader."""
from __future__ import annotations

import logging
import tomllib
from datetime import date
from pathlib import Path

import pytest

from contracts.events import ApplicationVerified, DecisionMade, HouseholdFacts, HouseholdStatus, PayoutAccount
from services.departments.civil_affairs import handlers as civil_affairs_handlers
from services.departments.civil_affairs import rules as civil_affairs
from services.departments.medical_insurance import handlers as medical_insurance_handlers
from services.kit import policy as policy_module
from services.kit.policy import (
    PolicyError, PolicySet, check_policies, current_policy, load_policy, load_policy_set, period_start,
    policy_for_period, policy_on, policy_versions,
)
from services.verification.facts import derive_facts
from tests.oracle import expected_total_fen
from tests.unit.test_cli import run_cli
from tests.unit.test_facts import EXAMPLES, SUBMITTED_ON, app_of

POLICIES = Path(__file__).resolve().parents[2] / "policies"
DEFAULT = POLICIES / "default.toml"
RAISE = POLICIES / "default-2028.toml"
DEFAULT_TEXT = DEFAULT.read_text(encoding="utf-8")
LAST_OLD_DAY, FIRST_NEW_DAY = date(2027, 12, 31), date(2028, 1, 1)
EXPECTED_TOTALS = {"A": 1_119_750, "B": 1_000_000, "C": 1_050_250, "D": 7_360_000}  # DOMAIN.md, worked examples


@pytest.fixture(autouse=True)
def default_policy_set(monkeypatch: pytest.MonkeyPatch):
    """Every test here starts from the default set (policies/), and leaves no set cached behind it."""
    monkeypatch.delenv("JOINTAID_POLICY", raising=False)
    policy_module.policy_set.cache_clear()
    yield
    policy_module.policy_set.cache_clear()


def version_text(version: str, effective_from: str, *, region: str | None = None, standard: int | None = None) -> str:
    """The default file as another version (same figures unless told)."""
    text = DEFAULT_TEXT.replace('version = "xihu-2023.1"', f'version = "{version}"')
    text = text.replace("effective_from = 2023-01-01", f"effective_from = {effective_from}")
    if region is not None:
        text = text.replace('region = "Xihu district (default)"', f'region = "{region}"')
    if standard is not None:
        text = text.replace("minimum_living_standard_yuan = 855", f"minimum_living_standard_yuan = {standard}")
    return text


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def household(name: str, submitted_on: date) -> HouseholdFacts:
    """A worked example's household, as submitted on another day."""
    return derive_facts(app_of(name), SUBMITTED_ON).model_copy(update={"submitted_on": submitted_on})


# ---- the default set ----------------------------------------------------------------------

def test_default_set_is_every_version_of_the_region_in_policies() -> None:
    versions = policy_versions()
    assert [(v.version, v.effective_from) for v in versions] == [
        ("xihu-2023.1", date(2023, 1, 1)), ("xihu-2028.1", date(2028, 1, 1))]
    assert {v.region for v in versions} == {"Xihu district (default)"}
    assert policy_versions() is policy_versions()  # cached, like current_policy
    assert policy_module.policy_set().sources == (DEFAULT, RAISE)


def test_the_raise_changes_only_the_minimum_living_standard() -> None:
    old, new = (tomllib.loads(path.read_text(encoding="utf-8")) for path in (DEFAULT, RAISE))
    assert (old["living"].pop("minimum_living_standard_yuan"), new["living"].pop("minimum_living_standard_yuan")) == (855, 900)
    assert (old.pop("version"), new.pop("version")) == ("xihu-2023.1", "xihu-2028.1")
    assert (old.pop("effective_from"), new.pop("effective_from")) == (date(2023, 1, 1), date(2028, 1, 1))
    assert old == new


def test_switch_at_the_boundary_day() -> None:
    assert policy_on(date(2023, 1, 1)).version == "xihu-2023.1"
    assert policy_on(LAST_OLD_DAY).version == "xihu-2023.1"
    assert policy_on(LAST_OLD_DAY).living.minimum_living_standard_yuan == 855
    assert policy_on(FIRST_NEW_DAY).version == "xihu-2028.1"
    assert policy_on(FIRST_NEW_DAY).living.minimum_living_standard_yuan == 900
    assert policy_on(date(2040, 6, 1)).version == "xihu-2028.1"  # the last version stays in force


def test_monthly_period_uses_the_version_in_force_on_its_first_day() -> None:
    assert policy_for_period("2027-12").version == "xihu-2023.1"
    assert policy_for_period("2027-12").minimum_living_standard_fen == 85_500
    assert policy_for_period("2028-01").version == "xihu-2028.1"
    assert policy_for_period("2028-01").minimum_living_standard_fen == 90_000
    assert period_start("2028-01") == FIRST_NEW_DAY and period_start("2027-12") == date(2027, 12, 1)


def test_extreme_poverty_basic_support_by_the_rules_1120_then_1170_yuan() -> None:
    """Example C's household (one person) without its care subsidy: n × basic support, period by period."""
    alone = household("C", LAST_OLD_DAY)
    alone = alone.model_copy(update={"members": (alone.members[0].model_copy(update={"care_level": None}),)})
    old, old_text = civil_affairs.extreme_poverty_support_fen(alone, policy_for_period("2027-12"))
    new, new_text = civil_affairs.extreme_poverty_support_fen(alone, policy_for_period("2028-01"))
    assert (old, new) == (112_000, 117_000)
    assert "1 × 1,120.00" in old_text and "1 × 1,170.00" in new_text


def test_current_policy_is_the_version_in_force_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(policy_module, "today_in_shanghai", lambda: LAST_OLD_DAY)
    assert current_policy().version == "xihu-2023.1"
    monkeypatch.setattr(policy_module, "today_in_shanghai", lambda: FIRST_NEW_DAY)
    assert current_policy().version == "xihu-2028.1"
    assert current_policy() is policy_on(FIRST_NEW_DAY)


def test_start_up_check_logs_every_version(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="services.kit.policy"):
        checked = check_policies()
    assert checked.versions == policy_versions()
    text = caplog.text
    assert "xihu-2023.1" in text and "effective from 2023-01-01" in text
    assert "xihu-2028.1" in text and "effective from 2028-01-01" in text
    assert "in force today" in text


# ---- decisions across the boundary ----------------------------------------------------------

@pytest.mark.parametrize(("name", "program", "old_fen", "new_fen"), [
    ("A", "mla", 92_000, 110_000),                # S × 4 − 2,500: 855 → 920 yuan, 900 → 1,100 yuan
    ("C", "extreme_poverty", 130_500, 135_500),   # 1 × basic + self-care 185: 1,120 → 1,305, 1,170 → 1,355 yuan
])
def test_living_decision_submitted_before_and_on_the_raise(name: str, program: str, old_fen: int, new_fen: int) -> None:
    before = household(name, LAST_OLD_DAY)
    on = household(name, FIRST_NEW_DAY)
    old, _ = civil_affairs.decide_living(before, policy_on(before.submitted_on))
    new, _ = civil_affairs.decide_living(on, policy_on(on.submitted_on))
    assert (old.program.value, new.program.value) == (program, program)
    assert (old.amount_fen, new.amount_fen) == (old_fen, new_fen)
    assert "855" in old.reason and "900" in new.reason


def test_household_between_the_standards_becomes_mla_on_the_raise() -> None:
    """Example A's farmer (48) alone, earning 880 yuan: low-income margin under S = 855, mla (20 yuan) under 900."""
    base = household("A", LAST_OLD_DAY)
    member = base.members[0].model_copy(update={"monthly_income_fen": 88_000})
    earning = base.model_copy(update={"members": (member,), "monthly_income_fen": 88_000})
    old, old_trail = civil_affairs.decide_living(earning, policy_on(LAST_OLD_DAY))
    new, new_trail = civil_affairs.decide_living(earning.model_copy(update={"submitted_on": FIRST_NEW_DAY}),
                                                 policy_on(FIRST_NEW_DAY))
    assert old_trail.status is HouseholdStatus.low_income and old.amount_fen == 0
    assert new_trail.status is HouseholdStatus.mla and new.amount_fen == 2_000


async def test_civil_affairs_handler_decides_under_the_version_of_the_submission_date(
        monkeypatch: pytest.MonkeyPatch) -> None:
    published = []

    async def capture(tx, decision, facts, trail, appeal_id=None) -> None:
        published.append(decision)

    monkeypatch.setattr(civil_affairs_handlers, "publish_decision", capture)
    monkeypatch.setattr(policy_module, "today_in_shanghai", lambda: date(2026, 12, 3))  # today: the 2023 version
    for day in (LAST_OLD_DAY, FIRST_NEW_DAY):
        verified = ApplicationVerified(facts=household("A", day), payout_account=PayoutAccount(kind="bank", number="1"))
        await civil_affairs_handlers.on_verified(None, None, verified)
    assert [d.amount_fen for d in published] == [92_000, 110_000]


async def test_medical_insurance_handler_uses_the_version_of_the_submission_date(
        monkeypatch: pytest.MonkeyPatch) -> None:
    used = []
    real = medical_insurance_handlers.rules.decide

    def spy(facts, trail, policy):
        used.append(policy.version)
        return real(facts, trail, policy)

    async def capture(tx, decision, facts, trail, appeal_id=None) -> None:
        pass

    monkeypatch.setattr(medical_insurance_handlers.rules, "decide", spy)
    monkeypatch.setattr(medical_insurance_handlers, "publish_decision", capture)
    for day in (LAST_OLD_DAY, FIRST_NEW_DAY):
        facts = household("A", day)
        living, trail = civil_affairs.decide_living(facts, policy_on(day))
        await medical_insurance_handlers.on_status_decided(None, None, DecisionMade(decision=living, facts=facts, trail=trail))
    assert used == ["xihu-2023.1", "xihu-2028.1"]


@pytest.mark.parametrize("name", sorted(EXPECTED_TOTALS))
def test_worked_examples_keep_their_amounts_under_the_set(name: str) -> None:
    """Submitted on 2026-11-20: the 2023 version, to the fen."""
    assert policy_on(SUBMITTED_ON).version == "xihu-2023.1"
    assert expected_total_fen(EXAMPLES[name], SUBMITTED_ON) == EXPECTED_TOTALS[name]


# ---- JOINTAID_POLICY: a file or a directory ----------------------------------------------

def test_env_naming_a_file_is_a_set_of_one_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOINTAID_POLICY", str(DEFAULT))
    policy_module.policy_set.cache_clear()
    assert [v.version for v in policy_versions()] == ["xihu-2023.1"]
    assert policy_on(FIRST_NEW_DAY).version == "xihu-2023.1"  # nothing after it: still in force


def test_env_naming_a_directory_loads_all_its_toml(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    region = tmp_path / "region"
    write(region, "b.toml", version_text("r-2030", "2030-07-01", standard=1000))
    write(region, "a.toml", version_text("r-2024", "2024-01-01"))
    write(region, "notes.txt", "not a version")
    monkeypatch.setenv("JOINTAID_POLICY", str(region))
    policy_module.policy_set.cache_clear()
    assert [v.version for v in policy_versions()] == ["r-2024", "r-2030"]  # sorted by effective_from, not name
    assert policy_on(date(2030, 6, 30)).version == "r-2024"
    assert policy_for_period("2030-07").living.minimum_living_standard_yuan == 1000


def test_load_policy_set_of_one_file_and_of_the_default_directory() -> None:
    assert load_policy_set(DEFAULT).versions == (load_policy(DEFAULT),)
    assert load_policy_set(POLICIES).versions == (load_policy(DEFAULT), load_policy(RAISE))


# ---- refusals -----------------------------------------------------------------------------

def test_two_versions_with_one_effective_from_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", version_text("r-1", "2028-01-01"))
    second = write(tmp_path, "b.toml", version_text("r-2", "2028-01-01", standard=900))
    with pytest.raises(PolicyError) as caught:
        load_policy_set(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{second}: ") and "a.toml" in message
    assert "effective_from 2028-01-01" in message and "overlap" in message


def test_versions_of_different_regions_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", version_text("r-1", "2023-01-01"))
    other = write(tmp_path, "b.toml", version_text("o-1", "2028-01-01", region="Shangcheng district"))
    with pytest.raises(PolicyError) as caught:
        load_policy_set(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{other}: ")
    assert "'Shangcheng district'" in message and "'Xihu district (default)'" in message and "mixed regions" in message


def test_two_versions_with_one_name_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", version_text("r-1", "2023-01-01"))
    write(tmp_path, "b.toml", version_text("r-1", "2028-01-01"))
    with pytest.raises(PolicyError, match="b.toml: version 'r-1' is also the version of .*a.toml"):
        load_policy_set(tmp_path)


def test_a_date_before_the_first_version_is_refused() -> None:
    with pytest.raises(PolicyError) as caught:
        policy_on(date(2022, 12, 31))
    message = str(caught.value)
    assert "2022-12-31" in message and "effective from 2023-01-01" in message and "xihu-2023.1" in message
    assert str(DEFAULT) in message and "gap" in message
    with pytest.raises(PolicyError, match="in force on 2022-12-01: .* effective from 2023-01-01"):
        policy_for_period("2022-12")


@pytest.mark.parametrize("period", ["2027-13", "2027-00", "2027-1", "27-01", "2027/01", "2027-01-01", "", "0000-01", "٢٠٢٧-01",
                                    " 2027-01", "2027-01\n"])
def test_a_malformed_period_is_refused_naming_the_rule(period: str) -> None:
    with pytest.raises(ValueError, match="a period is written YYYY-MM") as caught:
        policy_for_period(period)
    assert not isinstance(caught.value, PolicyError)


def test_an_invalid_file_among_valid_ones_is_refused_naming_it(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", version_text("r-1", "2023-01-01"))
    write(tmp_path, "c.toml", version_text("r-3", "2030-01-01"))
    bad = write(tmp_path, "b.toml", version_text("r-2", "2028-01-01").replace("mla = 7000", "mla = 10001"))
    with pytest.raises(PolicyError) as caught:
        load_policy_set(tmp_path)
    assert str(caught.value) == f"{bad}: medical_assistance.ratio_bp.mla: Input should be less than or equal to 10000"


def test_an_incomplete_version_is_refused_naming_the_field(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", version_text("r-1", "2023-01-01"))
    bad = write(tmp_path, "b.toml", version_text("r-2", "2028-01-01").replace("cap_yuan = 60000\n", ""))
    with pytest.raises(PolicyError, match=f"^{bad}: medical_assistance.cap_yuan: Field required"):
        load_policy_set(tmp_path)


def test_a_directory_without_versions_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"no policy files \(\*\.toml\)"):
        load_policy_set(tmp_path)


def test_start_up_refuses_a_bad_version_in_the_set(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write(tmp_path, "a.toml", version_text("r-1", "2023-01-01"))
    write(tmp_path, "b.toml", version_text("r-2", "2023-01-01"))
    monkeypatch.setenv("JOINTAID_POLICY", str(tmp_path))
    policy_module.policy_set.cache_clear()
    with pytest.raises(PolicyError, match="overlap"):
        check_policies()


def test_start_up_refuses_when_today_precedes_the_first_version(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JOINTAID_POLICY", str(write(tmp_path, "future.toml", version_text("r-9", "2099-01-01"))))
    policy_module.policy_set.cache_clear()
    with pytest.raises(PolicyError, match="effective from 2099-01-01"):
        check_policies()


def test_policy_set_sorts_its_versions_with_their_files() -> None:
    old, new = load_policy(DEFAULT), load_policy(RAISE)
    policies = PolicySet((new, old), (RAISE, DEFAULT))
    assert policies.versions == (old, new) and policies.sources == (DEFAULT, RAISE)
    assert policies.source_of(new) == RAISE and policies.region == "Xihu district (default)"


def test_jointaid_run_refuses_a_set_with_a_bad_version(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", version_text("r-1", "2023-01-01"))
    write(tmp_path, "b.toml", version_text("r-2", "2023-01-01"))
    result = run_cli("run", "civil_affairs", env={"JOINTAID_POLICY": str(tmp_path), "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
                                                  "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    assert result.returncode == 2
    assert "the policy is not valid" in result.stderr and "b.toml" in result.stderr and "overlap" in result.stderr

"""Payment runs' pure rules: the price subsidy per person, its trigger, the run's id, the body, what each household is owed."""
from __future__ import annotations

import uuid
from datetime import date

import pytest
from pydantic import ValidationError

from contracts.application import ApplicationIn
from contracts.events import RunKind
from contracts.payment_runs import PaymentRunIn, run_id_of
from services.caseload.runs import entitlement_id_of, owed
from services.intake.payment_runs import refusals
from services.kit.policy import policy_for_period
from services.verification.facts import derive_facts
from tests.conftest import EXAMPLES

Y2027, Y2028 = policy_for_period("2027-01"), policy_for_period("2028-01")


# ---- the price subsidy per person: S x the CPI rise, half-up to the fen ----------------------------

def test_price_subsidy_per_person_is_s_times_the_cpi_rise_half_up():
    assert Y2027.price_subsidy_per_person_fen(350) == 2993  # 85,500 fen x 3.5% = 2,992.5 -> 2,993
    assert Y2028.price_subsidy_per_person_fen(350) == 3150  # 90,000 fen x 3.5%, exact


@pytest.mark.parametrize("cpi_bp, fen", [
    (10, 86),     # 85.5 -> up
    (1, 9),       # 8.55 -> 9
    (2, 17),      # 17.1 -> 17
    (349, 2984),  # 2,983.95 -> 2,984
    (351, 3001),  # 3,001.05 -> 3,001
    (0, 0),
    (-120, 0),    # prices fell: nothing
])
def test_price_subsidy_rounding_edges(cpi_bp, fen):
    assert Y2027.price_subsidy_per_person_fen(cpi_bp) == fen


# ---- the trigger: CPI >= 3.5% or food CPI >= 6.0% ------------------------------------------------

def price_subsidy(cpi: int, food: int, period: str = "2027-01") -> PaymentRunIn:
    return PaymentRunIn(kind="price_subsidy", period=period, cpi_yoy_bp=cpi, food_cpi_yoy_bp=food)


@pytest.mark.parametrize("cpi, food, runs", [
    (349, 599, False),  # just below both
    (350, 0, True),     # CPI at its trigger
    (351, 599, True),
    (0, 600, True),     # food CPI at its trigger
    (349, 601, True),
    (-50, -50, False),
])
def test_price_subsidy_trigger(cpi, food, runs):
    assert (refusals(price_subsidy(cpi, food)) == []) is runs
    assert Y2027.price_subsidy_triggered(cpi, food) is runs


def test_a_refused_price_subsidy_names_the_rule_and_the_figures():
    [refusal] = refusals(price_subsidy(349, 599))
    assert refusal["field"] == "cpi_yoy_bp"
    message = refusal["message"]
    assert "price subsidy trigger not reached" in message
    assert all(figure in message for figure in ("3.49%", "3.5%", "5.99%", "6%", "xihu-2023.1"))


def test_the_trigger_is_the_version_in_force_for_the_period():
    assert "xihu-2028.1" in refusals(price_subsidy(100, 100, "2028-01"))[0]["message"]


def test_the_indices_belong_to_a_price_subsidy_only():
    assert [r["field"] for r in refusals(PaymentRunIn(kind="price_subsidy", period="2027-01"))] == \
        ["cpi_yoy_bp", "food_cpi_yoy_bp"]
    assert [r["field"] for r in refusals(PaymentRunIn(kind="monthly", period="2027-01", cpi_yoy_bp=400))] == ["cpi_yoy_bp"]
    assert refusals(PaymentRunIn(kind="monthly", period="2027-01")) == []


def test_a_period_before_every_policy_version_is_refused():
    [refusal] = refusals(PaymentRunIn(kind="monthly", period="2019-05"))
    assert refusal["field"] == "period" and "no policy in force" in refusal["message"]


@pytest.mark.parametrize("body", [
    {"kind": "monthly", "period": "2027-1"},
    {"kind": "monthly", "period": "2027-13"},
    {"kind": "weekly", "period": "2027-01"},
    {"kind": "monthly", "period": "2027-01", "note": "x"},
    {"kind": "price_subsidy", "period": "2027-01", "cpi_yoy_bp": 3.5, "food_cpi_yoy_bp": 410},
    {"kind": "price_subsidy", "period": "2027-01", "cpi_yoy_bp": "350", "food_cpi_yoy_bp": 410},
    {"period": "2027-01"},
])
def test_the_body_refuses_what_is_not_a_run(body):
    with pytest.raises(ValidationError):
        PaymentRunIn.model_validate(body)


# ---- ids: one run per (kind, period), one entitlement per (household, period, kind) ----------------

def test_run_id_is_determined_by_kind_and_period():
    assert run_id_of("monthly", "2027-01") == run_id_of(RunKind.monthly, "2027-01")
    assert len({run_id_of(kind, period) for kind in RunKind for period in ("2027-01", "2027-02")}) == 4


def test_entitlement_id_is_determined_by_household_period_and_kind():
    household = uuid.uuid4()
    assert entitlement_id_of(household, "2027-01", "monthly") == entitlement_id_of(household, "2027-01", RunKind.monthly)
    assert len({entitlement_id_of(h, p, k) for h in (household, uuid.uuid4()) for p in ("2027-01", "2027-02")
                for k in RunKind}) == 8


# ---- what a recipient is owed: the version of the period decides ----------------------------------

def recipient(name: str, status: str, **changes) -> dict:
    facts = derive_facts(ApplicationIn.model_validate(EXAMPLES[name]), date(2026, 11, 20))
    return {"recipient_id": uuid.uuid5(uuid.NAMESPACE_URL, name), "status": status, "facts": facts.model_dump_json(),
            "exited_from": None, "prior_status": None, "prior_facts": None, "changed_from": None, **changes}


def test_monthly_amounts_switch_with_the_period_policy():
    a, c = recipient("A", "mla"), recipient("C", "extreme_poverty")
    for period, a_fen, c_fen in (("2027-12", 92000, 130500), ("2028-01", 110000, 135500)):
        policy = policy_for_period(period)
        assert owed(RunKind.monthly, period, a, policy, 0).amount_fen == a_fen  # S x 4 - 2,500 yuan
        assert owed(RunKind.monthly, period, c, policy, 0).amount_fen == c_fen  # 1,120 / 1,170 + 185 care


def test_monthly_pays_extreme_poverty_and_mla_only_and_never_after_exit():
    assert owed(RunKind.monthly, "2027-01", recipient("D", "low_income"), Y2027, 0) is None
    exited = recipient("A", "exited", exited_from="2027-03", prior_status="mla", changed_from="2027-03")
    assert owed(RunKind.monthly, "2027-02", exited, Y2027, 0).amount_fen == 92000
    assert owed(RunKind.monthly, "2027-03", exited, Y2027, 0) is None


def test_price_subsidy_is_members_times_the_per_person_amount_for_every_listed_program():
    per_person = Y2027.price_subsidy_per_person_fen(350)
    got = {name: owed(RunKind.price_subsidy, "2027-01", recipient(name, status), Y2027, per_person)
           for name, status in (("A", "mla"), ("C", "extreme_poverty"), ("D", "low_income"))}
    assert {name: (o.program, o.members, o.amount_fen) for name, o in got.items()} == {
        "A": ("mla", 4, 4 * 2993), "C": ("extreme_poverty", 1, 2993), "D": ("low_income", 3, 3 * 2993)}
    assert owed(RunKind.price_subsidy, "2027-01", recipient("A", "mla"), Y2027, 0) is None

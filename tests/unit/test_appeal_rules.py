"""Appeals' pure parts: the facts merge, the trail taken back, the difference paid, the outcome, the window,
the layers decided again, the notice; and one whole round replayed through the departments' own rules."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from contracts.appeal import AppealIn, redecided_layers
from contracts.application import ApplicationIn
from contracts.events import (AppealDecided, AppealFactChanges, AppealOutcome, Decision, Department, Language, LayerTrail,
                              HouseholdStatus, Outcome, PaymentLine, Program, Recurring)
from services.departments.appeals import merged, trail_before
from services.departments.civil_affairs import rules as civil_affairs
from services.departments.medical_insurance import rules as medical_insurance
from services.departments.red_cross import rules as red_cross
from services.disbursement.appeal_rules import latest_decisions, outcome, supplement
from services.disbursement.settlement import payment_lines
from services.intake.appeals import window_refusal
from services.kit.policy import policy_on
from services.notification.appeal_message import render_appeal
from services.verification.facts import derive_facts
from tests.conftest import EXAMPLES
from tests.oracle import expected_total_fen

SUBMITTED_ON = date(2026, 11, 20)
CA, MI = Department.civil_affairs, Department.medical_insurance


def facts_of(name: str):
    return derive_facts(ApplicationIn.model_validate(EXAMPLES[name]), SUBMITTED_ON)


def line(department, program, fen) -> PaymentLine:
    return PaymentLine(department=department, program=program, amount_fen=fen)


def decision(layer: int, program: Program, fen: int, department=CA) -> Decision:
    return Decision(department=department, program=program, layer=layer, outcome=Outcome.approved if fen else Outcome.not_applicable,
                    amount_fen=fen, recurring=Recurring.monthly if layer == 1 else Recurring.one_off, reason="r")


def test_the_merge_changes_members_by_position_and_the_household_totals_follow():
    facts = facts_of("A")
    changes = AppealFactChanges.model_validate({
        "members": [{"member": 2, "monthly_income_fen": 30000, "disability_grade": 2}],
        "medical_bills": [{"member": 1, "total_fen": 1_000_000, "basic_reimbursed_fen": 400_000, "covered_oop_fen": 500_000,
                           "diagnosis": "leukemia"}],
        "emergency_loss_fen": 70_000, "has_supporter": False})
    new = merged(facts, changes)
    assert new.members[1].monthly_income_fen == 30000 and new.members[1].disability_grade == 2
    assert new.members[0] == facts.members[0] and new.members[2:] == facts.members[2:]
    assert new.monthly_income_fen == facts.monthly_income_fen + 30000
    assert (new.covered_oop_fen, new.oop_fen) == (facts.covered_oop_fen + 500_000, facts.oop_fen + 600_000)
    assert "leukemia" in new.diagnoses and set(facts.diagnoses) <= set(new.diagnoses)
    assert (new.emergency_loss_fen, new.has_supporter) == (70_000, False)
    assert merged(facts, AppealFactChanges()) == facts  # nothing named, nothing changed


def test_the_trail_goes_back_to_what_the_layers_before_left():
    full = LayerTrail(status=HouseholdStatus.mla, living_fen=1, critical_illness_fen=2, medical_assistance_fen=3,
                      temporary_fen=4, temporary_medical_part_fen=4, major_illness_fen=5)
    assert trail_before(full, 1) == LayerTrail()
    assert trail_before(full, 2) == LayerTrail(status=HouseholdStatus.mla, living_fen=1)
    assert trail_before(full, 4) == LayerTrail(status=HouseholdStatus.mla, living_fen=1, critical_illness_fen=2,
                                               medical_assistance_fen=3)
    assert trail_before(full, 5) == full.model_copy(update={"major_illness_fen": None})


def test_an_appeal_on_layer_2_or_3_decides_both_again_and_the_later_layers_follow():
    assert redecided_layers(1, (1, 2, 3, 4, 5)) == (1, 2, 3, 4, 5)
    assert redecided_layers(2, (1, 2, 3, 4, 5)) == redecided_layers(3, (1, 2, 3, 4, 5)) == (2, 3, 4, 5)
    assert redecided_layers(4, (1, 2, 3, 4, 5)) == (4, 5)
    assert redecided_layers(5, (1, 2, 3, 4, 5)) == (5,)


def test_only_the_difference_is_paid_with_the_increases_as_lines():
    paid = [line(CA, Program.mla, 92_000), line(MI, Program.critical_illness_insurance, 292_500)]
    new = [line(CA, Program.mla, 92_000), line(MI, Program.critical_illness_insurance, 400_000),
           line(MI, Program.medical_assistance, 50_000)]
    assert supplement(new, paid) == (157_500, [line(MI, Program.critical_illness_insurance, 107_500),
                                               line(MI, Program.medical_assistance, 50_000)])


def test_a_lower_or_equal_result_pays_nothing_back():
    paid = [line(CA, Program.mla, 92_000), line(CA, Program.temporary_assistance, 100_000)]
    assert supplement([line(CA, Program.mla, 50_000)], paid) == (0, [])
    assert supplement(paid, paid) == (0, [])
    assert outcome(0) is AppealOutcome.upheld and outcome(1) is AppealOutcome.revised


def test_when_one_line_goes_down_the_increases_are_taken_only_as_far_as_the_difference():
    paid = [line(CA, Program.mla, 92_000), line(MI, Program.medical_assistance, 100_000)]
    new = [line(CA, Program.mla, 50_000), line(MI, Program.medical_assistance, 200_000)]  # -42,000 and +100,000
    fen, lines = supplement(new, paid)
    assert fen == 58_000 and lines == [line(MI, Program.medical_assistance, 58_000)]
    # a program no longer decided (mla -> low_income) still counts as paid
    fen, lines = supplement([line(MI, Program.medical_assistance, 150_000)], paid)
    assert (fen, lines) == (0, [])
    assert sum(l.amount_fen for l in supplement(new, paid)[1]) == supplement(new, paid)[0]


def test_each_layer_takes_its_latest_decision():
    first = [decision(n, Program.mla if n == 1 else Program.temporary_assistance, 100 * n) for n in range(1, 6)]
    once = [decision(4, Program.temporary_assistance, 999), decision(5, Program.major_illness_relief, 0)]
    twice = [decision(5, Program.major_illness_relief, 7)]
    latest = latest_decisions(first, [once, twice])
    assert [d.amount_fen for d in latest] == [100, 200, 300, 999, 7]


def test_the_appeal_window_is_counted_from_the_notice():
    sent = datetime(2027, 1, 1, 10, tzinfo=timezone.utc)
    assert window_refusal(sent, sent + timedelta(days=60), 60) is None
    late = window_refusal(sent, sent + timedelta(days=60, seconds=1), 60)
    assert late.startswith("appeal_window:") and "2027-01-01" in late and "60 days" in late


def redecide_from_layer_2(facts, first_trail):
    """What the departments do for an appeal on layer 2 (medical insurance, then layers 4 and 5 follow)."""
    policy = policy_on(facts.submitted_on)
    trail = trail_before(first_trail, 2)
    insurance, assistance, trail = medical_insurance.decide(facts, trail, policy)
    temporary, trail = civil_affairs.decide_temporary(facts, trail, policy)
    relief, trail = red_cross.decide(facts, trail, policy)
    return [insurance, assistance, temporary, relief]


def test_a_new_bill_on_example_a_pays_exactly_what_the_rules_give_more():
    """The round replayed with the departments' rules: the supplement is the oracle's new total − the first total."""
    body = EXAMPLES["A"]
    facts, policy = facts_of("A"), policy_on(SUBMITTED_ON)
    living, trail = civil_affairs.decide_living(facts, policy)
    insurance, assistance, trail = medical_insurance.decide(facts, trail, policy)
    temporary, trail = civil_affairs.decide_temporary(facts, trail, policy)
    relief, trail = red_cross.decide(facts, trail, policy)
    first = [living, insurance, assistance, temporary, relief]
    bill = {"total_fen": 3_000_000, "basic_reimbursed_fen": 1_500_000, "covered_oop_fen": 1_000_000, "diagnosis": "uremia"}
    changes = AppealFactChanges.model_validate({"medical_bills": [{"member": 1, **bill}]})
    round_ = redecide_from_layer_2(merged(facts, changes), trail)
    new_lines = payment_lines(latest_decisions(first, [round_]))
    fen, lines = supplement(new_lines, payment_lines(first))
    with_bill = {**body, "needs": {**body["needs"], "medical_bills": [*body["needs"]["medical_bills"],
                                                                     {"member_id_number": body["applicant_id_number"], **bill}]}}
    assert fen == expected_total_fen(with_bill, SUBMITTED_ON) - expected_total_fen(body, SUBMITTED_ON) > 0
    assert sum(l.amount_fen for l in lines) == fen


def appeal_decided(outcome_: AppealOutcome, supplement_fen: int, language=Language.zh) -> AppealDecided:
    return AppealDecided(
        appeal_id=uuid.uuid4(), layer=2, outcome=outcome_, supplement_fen=supplement_fen,
        payment_id=uuid.uuid4() if supplement_fen else None, paid_before_fen=1_119_750, total_fen=1_119_750 + supplement_fen,
        decisions=(decision(2, Program.critical_illness_insurance, 400_000, MI), decision(3, Program.medical_assistance, 0, MI)),
        account_kind="social_security_card", account_last4="5678", language=language, decided_at=datetime.now(timezone.utc))


@pytest.mark.parametrize("language", [Language.zh, Language.en])
def test_the_appeal_notice_names_the_layer_and_the_supplement_or_that_the_decision_stands(language):
    revised = render_appeal(appeal_decided(AppealOutcome.revised, 157_500, language), language)
    upheld = render_appeal(appeal_decided(AppealOutcome.upheld, 0, language), language)
    if language is Language.zh:
        assert "第2层" in revised and "大病保险" in revised and "1,575.00" in revised and "补发" in revised and "5678" in revised
        assert "原决定维持" in upheld and "无需退还" in upheld and "补发差额" not in upheld
    else:
        assert "layer 2" in revised and "critical-illness insurance" in revised and "1,575.00 yuan" in revised
        assert "decision stands" in upheld and "supplement" not in upheld


@pytest.mark.parametrize("body, field, rule", [
    ({"layer": 0, "grounds": "g", "facts": {"has_supporter": False}}, "layer", "appeal_layer"),
    ({"layer": 6, "grounds": "g", "facts": {"has_supporter": False}}, "layer", "appeal_layer"),
    ({"layer": True, "grounds": "g", "facts": {"has_supporter": False}}, "layer", "appeal_layer"),
    ({"layer": 2, "grounds": "g", "facts": {}}, "facts", "appeal_facts_empty"),
    ({"layer": 2, "grounds": "g", "facts": {"income": 1}}, "facts.income", "unknown field"),
    ({"layer": 2, "grounds": "g", "facts": {"emergency_loss_fen": 1.5}}, "facts.emergency_loss_fen", "whole number of fen"),
    ({"layer": 2, "grounds": "g", "facts": {"emergency_loss_fen": -1}}, "facts.emergency_loss_fen", "negative"),
    ({"layer": 2, "grounds": "g", "facts": {"members": [{"member": 1, "monthly_income_fen": 100.0}]}},
     "facts.members.0.monthly_income_fen", "whole number of fen"),
    ({"layer": 2, "grounds": "g", "facts": {"members": [{"member": 1}]}}, "facts.members.0.member", "appeal_member_unchanged"),
    ({"layer": 2, "grounds": "g", "facts": {"members": [{"member": 1, "care_level": "disabled"},
                                                        {"member": 1, "disability_grade": 1}]}},
     "facts.members.1.member", "appeal_member_twice"),
    ({"layer": 2, "grounds": "   ", "facts": {"has_supporter": False}}, "grounds", "must not be empty"),
    ({"layer": 2, "grounds": "g" * 2001, "facts": {"has_supporter": False}}, "grounds", "at most 2000"),
    ({"layer": 2, "grounds": "g", "facts": {"medical_bills": [{"member": 1, "total_fen": 100, "basic_reimbursed_fen": 0,
                                                               "covered_oop_fen": 200}]}},
     "facts.medical_bills.0.covered_oop_fen", "covered part exceeds"),
])
def test_the_appeal_body_refuses_naming_the_rule(body, field, rule):
    from pydantic import ValidationError

    from contracts.refusals import field_errors
    with pytest.raises(ValidationError) as refused:
        AppealIn.model_validate(body)
    errors = field_errors(refused.value)
    assert any(e["field"] == field and rule in e["message"] for e in errors), errors


def test_member_positions_beyond_the_household_are_refused():
    from contracts.appeal import member_refusals
    appeal = AppealIn.model_validate({"layer": 1, "grounds": "g", "facts": {
        "members": [{"member": 5, "monthly_income_fen": 0}],
        "medical_bills": [{"member": 4, "total_fen": 1, "basic_reimbursed_fen": 0, "covered_oop_fen": 0}]}})
    assert member_refusals(appeal, 4) == [{"field": "facts.members.0.member",
                                           "message": "appeal_member_unknown: the household has 4 member(s)"}]
    assert appeal.changes().medical_bills[0].member == 4

"""Aid first, paperwork after: the advance's tier (declared hardship, capped), and what it leaves for the final
payment (final = total − min(advance, temporary assistance); the rest of the advance waived)."""
from __future__ import annotations

import json
import tomllib

import pytest

from contracts.application import ApplicationIn
from contracts.events import Department, PaymentLine, Program, Residence
from services.departments.civil_affairs.advance import advance_fen, advance_of, declared_hardship_fen
from services.disbursement import ledger
from services.disbursement.advances import split
from services.disbursement.approvals import needs_approval
from services.kit.policy import Policy, load_policy
from tests.conftest import EXAMPLES
from tests.unit.test_rules_civil_affairs import DEFAULT

POLICY = load_policy(DEFAULT)
YUAN = 100


@pytest.mark.parametrize(("hardship_yuan", "advance_yuan"), [
    (0, 0), (1_999.99, 0), (2_000, 1_000), (9_999.99, 1_000), (10_000, 3_000), (29_999.99, 3_000),
    (30_000, 4_000), (79_999.99, 4_000), (80_000, 4_000), (1_000_000, 4_000),
])
def test_advance_is_the_tier_of_the_declared_hardship_capped_at_4000_yuan(hardship_yuan, advance_yuan):
    assert advance_fen(round(hardship_yuan * YUAN), Residence.hukou, POLICY) == advance_yuan * YUAN


def test_the_cap_is_a_parameter_and_the_tier_never_exceeds_the_hardship():
    raw = tomllib.loads(DEFAULT.read_text(encoding="utf-8"))
    raw["advance"] = {"max_yuan": 20_000}
    raw["temporary_assistance"]["tiers"] = [{"from_yuan": 2_000, "amount_yuan": 5_000}]
    generous = Policy.model_validate(raw)
    assert advance_fen(300_000, Residence.hukou, generous) == 300_000  # tier 5,000 yuan, never above H = 3,000
    assert advance_fen(80_000_00, Residence.hukou, generous) == 500_000


def test_no_advance_for_a_residence_temporary_assistance_does_not_serve():
    assert advance_fen(10_000_000, Residence.residence_permit, POLICY) == 400_000
    assert advance_fen(10_000_000, Residence.other, POLICY) == 0


def urgent(name: str, kind: str = "critical_illness") -> ApplicationIn:
    return ApplicationIn.model_validate({**EXAMPLES[name], "urgent": {"kind": kind, "note": "hospital by noon"}})


def test_declared_hardship_is_declared_out_of_pocket_plus_emergency_loss():
    assert declared_hardship_fen(urgent("A")) == 1_680_000  # 16,800 yuan out of pocket, no layer decided yet
    assert declared_hardship_fen(urgent("B", "fire")) == 10_000_000  # the fire's loss
    assert advance_of(urgent("A"), POLICY) == (300_000, 1_680_000)
    assert advance_of(urgent("B", "fire"), POLICY) == (400_000, 10_000_000)
    assert advance_of(ApplicationIn.model_validate(EXAMPLES["A"]), POLICY) == (0, 0)  # not urgent


def test_urgent_body_names_its_kind():
    with pytest.raises(ValueError):
        ApplicationIn.model_validate({**EXAMPLES["B"], "urgent": {"kind": "earthquake"}})
    assert ApplicationIn.model_validate({**EXAMPLES["B"], "urgent": {"kind": "flood"}}).urgent.note == ""


def lines(**amounts: int) -> list[PaymentLine]:
    department = {Program.critical_illness_insurance: Department.medical_insurance,
                  Program.medical_assistance: Department.medical_insurance,
                  Program.major_illness_relief: Department.red_cross}
    return [PaymentLine(department=department.get(Program(p), Department.civil_affairs), program=Program(p), amount_fen=a)
            for p, a in amounts.items()]


def test_final_payment_is_the_total_less_the_advance_taken_off_temporary_assistance():
    decided = lines(mla=92_000, critical_illness_insurance=292_500, medical_assistance=635_250, temporary_assistance=1_000_000)
    final = split(decided, 400_000)
    assert (final.deducted_fen, final.waived_fen) == (400_000, 0)
    assert final.total_fen == 2_019_750 - 400_000 == sum(line.amount_fen for line in final.lines)
    assert [line.amount_fen for line in final.lines if line.program is Program.temporary_assistance] == [600_000]


def test_an_advance_above_the_final_temporary_assistance_is_waived_and_its_line_dropped():
    decided = lines(mla=92_000, critical_illness_insurance=292_500, medical_assistance=635_250, temporary_assistance=100_000)
    final = split(decided, 300_000)  # example A urgent: 3,000 advanced, 1,000 decided
    assert (final.deducted_fen, final.waived_fen, final.total_fen) == (100_000, 200_000, 1_019_750)
    assert Program.temporary_assistance not in {line.program for line in final.lines}


def test_advance_with_temporary_assistance_denied_is_waived_whole_and_no_advance_changes_nothing():
    decided = lines(critical_illness_insurance=500_000)
    assert split(decided, 300_000) == split(decided, 0).__class__(tuple(decided), 0, 300_000)
    assert split(decided, 0).lines == tuple(decided)
    everything_advanced = split(lines(temporary_assistance=100_000), 400_000)
    assert (everything_advanced.lines, everything_advanced.deducted_fen, everything_advanced.waived_fen) == ((), 100_000, 300_000)


def test_waiver_and_reversal_postings_balance():
    waived = ledger.waiver(lines(temporary_assistance=200_000)[0])
    assert ledger.balanced(waived) and {e.account for e in waived} == {"waived:civil_affairs", "fund:civil_affairs"}
    decided = lines(mla=92_000, temporary_assistance=100_000)
    undone = ledger.approval(decided) + ledger.reversal(decided)
    assert ledger.balanced(ledger.reversal(decided))
    for account in {e.account for e in undone}:  # every account back where it was
        assert sum(e.debit_fen - e.credit_fen for e in undone if e.account == account) == 0


@pytest.mark.parametrize(("total", "held"), [(1_999_999, False), (2_000_000, False), (2_000_001, True), (7_360_000, True)])
def test_approval_above_the_threshold_strictly(total, held):
    assert needs_approval(total, POLICY.approval.threshold_fen) is held

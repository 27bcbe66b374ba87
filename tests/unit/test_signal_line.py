"""A monitoring signal line: what is refused, with its rule and line number, and what is kept."""
import json
from datetime import date, timedelta

from contracts.registry import Refusal
from contracts.signals import SignalKind, SignalLine, read_signal
from jointaid.bench_registry import id_number


def line(**fields) -> bytes:
    body = {"id_number": id_number(7), "signal": "medical_spending", "amount_fen": 1_680_000,
            "observed_on": "2026-11-01", "source": "medical_insurance"} | fields
    return json.dumps({k: v for k, v in body.items() if v is not ...}).encode()


def test_a_good_line_is_a_signal():
    found = read_signal(line(), 1)
    assert isinstance(found, SignalLine)
    assert found.signal is SignalKind.medical_spending and found.amount_fen == 1_680_000


def test_report_and_death_need_no_amount():
    for kind in ("report", "death", "disability"):
        assert isinstance(read_signal(line(signal=kind, amount_fen=...), 1), SignalLine)


def test_spending_and_income_drop_need_their_amount():
    for kind in ("medical_spending", "income_drop"):
        refused = read_signal(line(signal=kind, amount_fen=...), 4)
        assert refused == Refusal(4, "amount_fen", f"{kind} signals need their amount in fen")


def test_refusals_name_the_field_and_never_the_value():
    cases = {
        "id_number": line(id_number="110105198001011234"),  # bad checksum
        "signal": line(signal="lottery_win"),
        "amount_fen": line(amount_fen=12.5),
        "observed_on": line(observed_on=(date.today() + timedelta(days=2)).isoformat()),
        "source": line(source="a source with spaces"),
        "grade": line(signal="disability", grade=5),
    }
    for field, raw in cases.items():
        refused = read_signal(raw, 9)
        assert isinstance(refused, Refusal) and refused.line == 9 and refused.field == field, (field, refused)
        assert "110105198001011234" not in refused.message and "lottery" not in refused.message


def test_not_json_is_refused_as_a_line():
    refused = read_signal(b"id_number,signal", 2)
    assert isinstance(refused, Refusal) and refused.field is None and "JSON" in refused.message

"""GB 11643-1999 resident ID numbers: check digit, validity, birth date, age."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from contracts import idnumber
from contracts.idnumber import age_on, birth_date, check_digit, is_valid

_REPO = Path(__file__).resolve().parents[2]
EXAMPLES = json.loads((_REPO / "jointaid" / "examples" / "applications.json").read_text(encoding="utf-8"))


def _example_ids() -> list[str]:
    ids = []
    for app in EXAMPLES.values():
        ids.append(app["applicant_id_number"])
        ids.extend(m["id_number"] for m in app["household"]["members"])
        ids.extend(b["member_id_number"] for b in app["needs"]["medical_bills"])
    return sorted(set(ids))


@pytest.mark.parametrize("id_number", _example_ids())
def test_every_example_id_is_valid(id_number):
    assert is_valid(id_number)
    assert check_digit(id_number[:17]) == id_number[17]


@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        ("61063019780502031", "3"),
        ("32118119740308022", "X"),
        ("36010419630415048", "X"),
        ("61052319760920017", "4"),
        ("11010519491231002", "X"),  # the textbook example of GB 11643
    ],
)
def test_check_digit_of_known_numbers(first17, expected):
    assert check_digit(first17) == expected


def test_check_digit_by_hand():
    # 1*7 + 1*9 + 0*10 + ... computed directly from the weights and the mapping
    first17 = "11010519491231002"
    total = sum(int(d) * w for d, w in zip(first17, (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)))
    assert check_digit(first17) == "10X98765432"[total % 11]


@pytest.mark.parametrize("bad", ["", "1234", "6106301978050203", "61063019780502031X", "6106301978050203a", "61063019780502031 "])
def test_check_digit_needs_17_digits(bad):
    with pytest.raises(ValueError):
        check_digit(bad)


def test_lowercase_x_is_accepted_and_normalised():
    assert is_valid("32118119740308022x")
    assert idnumber.normalise("32118119740308022x") == "32118119740308022X"
    assert birth_date("32118119740308022x") == date(1974, 3, 8)


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("610630197805020314", idnumber.CHECK_DIGIT_PROBLEM),  # last digit changed
        ("610630197805020323", idnumber.CHECK_DIGIT_PROBLEM),  # a digit changed in the middle
        ("32118119740308022Y", idnumber.FORMAT_PROBLEM),
        ("3211811974030802", idnumber.FORMAT_PROBLEM),
        ("3211811974030802201", idnumber.FORMAT_PROBLEM),
        (" 32118119740308022X", idnumber.FORMAT_PROBLEM),
        ("１１０１０５１９４９１２３１００２X", idnumber.FORMAT_PROBLEM),  # full-width digits
        ("32118119741308022X", idnumber.BIRTH_DATE_PROBLEM),  # month 13
        ("321181197402300221", idnumber.BIRTH_DATE_PROBLEM),  # 30 February
        ("321181180001010221", idnumber.BIRTH_DATE_PROBLEM),  # before 1900
    ],
)
def test_invalid_numbers_say_why(bad, reason):
    assert not is_valid(bad)
    assert idnumber.problem(bad) == reason


@pytest.mark.parametrize("bad", [None, 610630197805020313, b"610630197805020313"])
def test_non_strings_are_invalid(bad):
    assert not is_valid(bad)


def test_birth_date_of_examples():
    assert birth_date("610630197805020313") == date(1978, 5, 2)
    assert birth_date("36010419630415048X") == date(1963, 4, 15)
    with pytest.raises(ValueError):
        birth_date("61063019781302031X")
    with pytest.raises(ValueError):
        birth_date("not a number")


@pytest.mark.parametrize(
    ("id_number", "on", "age"),
    [
        ("610630197805020313", date(2026, 11, 20), 48),
        ("610630198102100426", date(2026, 11, 20), 45),
        ("610630201109010532", date(2026, 11, 20), 15),
        ("610630201406060640", date(2026, 11, 20), 12),
        ("36010419630415048X", date(2026, 11, 20), 63),
        ("610630197805020313", date(2026, 5, 1), 47),  # day before the birthday
        ("610630197805020313", date(2026, 5, 2), 48),  # on the birthday
        ("610630197805020313", date(1978, 5, 2), 0),
    ],
)
def test_age_in_full_years(id_number, on, age):
    assert age_on(id_number, on) == age


def test_age_of_a_29_february_birthday():
    first17 = "11010520000229001"
    number = first17 + check_digit(first17)
    assert is_valid(number)
    assert age_on(number, date(2001, 2, 28)) == 0
    assert age_on(number, date(2001, 3, 1)) == 1
    assert age_on(number, date(2004, 2, 29)) == 4


def test_age_before_birth_is_refused():
    with pytest.raises(ValueError):
        age_on("610630201406060640", date(2014, 6, 5))


@given(st.text(alphabet="0123456789", min_size=6, max_size=6), st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
       st.text(alphabet="0123456789", min_size=3, max_size=3))
def test_generated_numbers_are_valid_and_one_changed_digit_is_not(region, born, seq):
    first17 = f"{region}{born:%Y%m%d}{seq}"
    number = first17 + check_digit(first17)
    assert is_valid(number)
    assert birth_date(number) == born
    # MOD 11-2 detects every single-character substitution
    for position in range(18):
        for replacement in "0123456789X":
            if replacement == number[position] or (replacement == "X" and position < 17):
                continue
            changed = number[:position] + replacement + number[position + 1:]
            assert not is_valid(changed)


@given(st.text(max_size=25))
def test_is_valid_never_raises(text):
    assert is_valid(text) in (True, False)

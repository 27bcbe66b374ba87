"""The 18-character resident identity number of GB 11643-1999.

Layout: 6-digit region code, 8-digit birth date (YYYYMMDD, digits 7-14), 3-digit sequence
number, 1 check character (a digit or X) computed by ISO 7064 MOD 11-2.

A lowercase x as check character is accepted and normalised to X (`normalise`).
"""
from __future__ import annotations

import re
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"  # index: weighted sum mod 11
EARLIEST_BIRTH = date(1900, 1, 1)  # anything earlier is not a living person's birth date

_FIRST17 = re.compile(r"[0-9]{17}")
_FORMAT = re.compile(r"[0-9]{17}[0-9X]")

# Reasons, in words a caseworker reads (used by contracts.application).
FORMAT_PROBLEM = "ID number must be 18 characters: 17 digits, then a digit or X"
BIRTH_DATE_PROBLEM = "ID number contains an impossible birth date (digits 7-14)"
CHECK_DIGIT_PROBLEM = "ID number check digit is wrong (GB 11643)"


def normalise(id_number: str) -> str:
    """Upper-case the check character (x -> X); nothing else is changed."""
    return id_number.upper()


def check_digit(first17: str) -> str:
    """The check character for the first 17 digits ('0'-'9' or 'X')."""
    if not isinstance(first17, str) or not _FIRST17.fullmatch(first17):
        raise ValueError("check_digit needs exactly 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS))
    return CHECK_CHARS[total % 11]


def _birth(id_number: str) -> date | None:
    try:
        return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def problem(id_number: object) -> str | None:
    """Why the ID number is invalid (a sentence), or None when it is valid.

    Does not judge a birth date against today (see contracts.application for that).
    """
    if not isinstance(id_number, str):
        return FORMAT_PROBLEM
    value = normalise(id_number)
    if not _FORMAT.fullmatch(value):
        return FORMAT_PROBLEM
    born = _birth(value)
    if born is None or born < EARLIEST_BIRTH:
        return BIRTH_DATE_PROBLEM
    if check_digit(value[:17]) != value[17]:
        return CHECK_DIGIT_PROBLEM
    return None


def is_valid(id_number: object) -> bool:
    """Format (17 digits + digit/X, lowercase x allowed), a real birth date, the right check digit."""
    return problem(id_number) is None


def birth_date(id_number: str) -> date:
    """The birth date in digits 7-14. ValueError when the number is not well formed."""
    value = normalise(id_number) if isinstance(id_number, str) else ""
    if not _FORMAT.fullmatch(value):
        raise ValueError(FORMAT_PROBLEM)
    born = _birth(value)
    if born is None:
        raise ValueError(BIRTH_DATE_PROBLEM)
    return born


def age_on(id_number: str, on: date) -> int:
    """Full years of age on the given day (a 29 February birthday counts from 1 March)."""
    born = birth_date(id_number)
    if on < born:
        raise ValueError("the day is before the birth date")
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


SHOWN_HEAD, SHOWN_TAIL = 6, 4


def masked(id_number: str) -> str:
    """The ID number as the API shows it: the first 6 characters (the region of registration) and the last 4
    (the tail people quote, 尾号) kept, the 8 birth-date digits hidden, so a caseworker can tell members apart
    and match a card without the number identifying the person. Anything not 18 characters long is hidden whole."""
    if not isinstance(id_number, str) or len(id_number) != 18:
        return "*" * 18
    value = normalise(id_number)
    return value[:SHOWN_HEAD] + "*" * (18 - SHOWN_HEAD - SHOWN_TAIL) + value[-SHOWN_TAIL:]

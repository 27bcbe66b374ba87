"""Caseload lines for the tests of `jointaid caseload import` (unit, integration, e2e): valid ID numbers nobody else uses."""
from __future__ import annotations

import itertools
import json
from datetime import date, timedelta

from contracts.idnumber import check_digit

_serials = itertools.count()


def fresh_id(region: str = "140000", born: date | None = None) -> str:
    """A valid ID number no other call returns (one birth day per call, from 1950; or `born`, one sequence per call)."""
    serial = next(_serials)
    day = born or date(1950, 1, 1) + timedelta(days=serial)
    first17 = f"{region}{day:%Y%m%d}{serial % 1000:03d}"
    return first17 + check_digit(first17)


def member(id_number: str, relation: str, income_fen: int, name: str = "Zhang Wei", **extra) -> dict:
    return {"id_number": id_number, "name": name, "relation": relation, "monthly_income_fen": income_fen, **extra}


def household(status: str = "mla", incomes: tuple[int, ...] = (30_000, 30_000), *, enrolled_on: str = "2025-06-01",
              region_code: str = "610630", ids: list[str] | None = None, **member_extra) -> dict:
    """One valid line: the first member is the applicant (`self`), the others spouse, child, parent...;
    `member_extra` goes to the first member (care_level, disability_grade)."""
    ids = ids or [fresh_id() for _ in incomes]
    relations = ("self", "spouse", "child", "parent", "sibling", "grandchild")
    members = [member(ids[k], relations[k], income, name=f"Member {k + 1}", **(member_extra if k == 0 else {}))
               for k, income in enumerate(incomes)]
    return {"applicant_id_number": ids[0], "members": members, "status": status, "enrolled_on": enrolled_on,
            "region_code": region_code, "payout_account": {"kind": "social_security_card", "number": "6217000011112222"}}


def jsonl(*lines: dict | bytes | str) -> bytes:
    """The file's bytes: dicts as JSON, bytes and str as they are (bad lines)."""
    out = []
    for line in lines:
        out.append(json.dumps(line, ensure_ascii=False).encode() if isinstance(line, dict) else
                   line.encode() if isinstance(line, str) else line)
    return b"\n".join(out) + b"\n"

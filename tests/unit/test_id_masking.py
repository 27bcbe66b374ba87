"""ID numbers as the API shows them (contracts.idnumber.masked): region and tail kept, the birth date hidden."""
from __future__ import annotations

import json

from contracts.idnumber import birth_date, masked
from services.intake.recipients import members_shown
from tests.caseload_lines import fresh_id


def test_the_first_six_and_the_last_four_are_kept_and_the_birth_date_hidden():
    id_number = fresh_id(region="610630")
    shown = masked(id_number)
    assert shown == id_number[:6] + "********" + id_number[-4:]
    assert len(shown) == 18 and f"{birth_date(id_number):%Y%m%d}" not in shown


def test_a_lowercase_check_character_is_shown_as_x_and_anything_else_is_hidden_whole():
    x_id = next(i for i in (fresh_id() for _ in range(1000)) if i.endswith("X"))
    assert masked(x_id.lower()).endswith("X")
    for odd in ("", "6106301960", "61063019600101001X1", None, 610630196001010013):
        assert masked(odd) == "*" * 18


def test_members_leave_masked_with_name_and_relation():
    a, b = fresh_id(), fresh_id()
    members = json.dumps([{"id_number": a, "name": "Zhang Wei", "relation": "self"},
                          {"id_number": b, "name": "Wang Fang", "relation": "spouse"}])
    assert members_shown(members) == [{"id_number": masked(a), "name": "Zhang Wei", "relation": "self"},
                                      {"id_number": masked(b), "name": "Wang Fang", "relation": "spouse"}]
    assert a not in json.dumps(members_shown(members))

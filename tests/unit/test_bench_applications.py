"""The bench's generator: N distinct applications, each valid, no applicant twice, no ID number shared."""
from __future__ import annotations

import json

from contracts import idnumber
from contracts.application import ApplicationIn
from jointaid.bench import make_applications

N = 2500  # more than 1000 per shape: the birth-date shift is exercised too


def test_applications_are_valid_and_distinct():
    bodies = make_applications(N)
    assert len(bodies) == N
    assert len({json.dumps(b, sort_keys=True) for b in bodies}) == N
    for body in bodies:
        ApplicationIn.model_validate(body)
    applicants = [b["applicant_id_number"] for b in bodies]
    assert len(set(applicants)) == N


def test_member_ids_are_distinct_across_applications_and_bills_match():
    bodies = make_applications(N, seed=3)
    members = [m["id_number"] for b in bodies for m in b["household"]["members"]]
    assert len(set(members)) == len(members)
    assert all(idnumber.is_valid(i) for i in members)
    for body in bodies:
        ids = {m["id_number"] for m in body["household"]["members"]}
        selfs = [m["id_number"] for m in body["household"]["members"] if m["relation"] == "self"]
        assert selfs == [body["applicant_id_number"]]
        assert all(bill["member_id_number"] in ids for bill in body["needs"]["medical_bills"])


def test_all_four_shapes_are_used_and_generation_is_pure():
    bodies = make_applications(200)
    assert {b["region_code"] for b in bodies} == {"610630", "321181", "360104", "610523"}
    assert make_applications(50, seed=1) == make_applications(50, seed=1)

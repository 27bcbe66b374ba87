"""The role table: every route of the app is in it, and for every route × every role it means what it says."""
from __future__ import annotations

import itertools
import uuid

import pytest
from fastapi.routing import APIRoute

from services.intake import access
from services.intake.access import ANY, OWN, PUBLIC, ROUTE_ACCESS, Refusal, allowed
from services.intake.api import create_app
from services.intake.tokens import ROLES, Principal
from services.kit.settings import Settings

MINE = uuid.UUID("6f1c1a53-3f3e-4b77-9d44-0d6c2a5b1e2f")
OTHER = uuid.UUID("0b0b0b0b-3f3e-4b77-9d44-0d6c2a5b1e2f")


class _Context:
    def __init__(self, keys_dir) -> None:
        self.settings = Settings(kafka_bootstrap_servers="unused", database_url="unused", keys_dir=str(keys_dir))


def principal(role: str) -> Principal:
    return Principal(f"someone-{role}", role, MINE if role == "citizen" else None)


def outcome(route, who: Principal | None, application_id: uuid.UUID | None) -> int:
    try:
        allowed(route, who, str(application_id) if application_id else None)
        return 200
    except Refusal as refusal:
        return refusal.status


def test_every_route_of_the_app_is_in_the_table_and_nothing_else(tmp_path):
    app = create_app(_Context(tmp_path / "keys"))
    routes = {(method, r.path) for r in app.routes if isinstance(r, APIRoute) for method in r.methods}
    assert routes == set(ROUTE_ACCESS)


@pytest.mark.parametrize("route, role", list(itertools.product(ROUTE_ACCESS, (*ROLES, None))))
def test_every_route_for_every_role(route, role):
    rule = ROUTE_ACCESS[route]
    who = principal(role) if role else None
    own = outcome(route, who, MINE)
    other = outcome(route, who, OTHER)
    if rule is PUBLIC:
        assert own == other == 200
    elif role is None:
        assert own == other == 401
    elif role not in rule:
        assert own == other == 403
    elif rule[role] == ANY:
        assert own == other == 200
    else:
        assert rule[role] == OWN and (own, other) == (200, 403)


def test_an_unlisted_route_is_refused_to_everyone():
    for role in ROLES:
        assert outcome(("DELETE", "/v1/applications/{application_id}"), principal(role), MINE) == 403


def test_citizens_read_their_own_application_only_and_nothing_else():
    reachable = {route for route, rule in ROUTE_ACCESS.items() if rule is not PUBLIC and "citizen" in rule}
    assert reachable == {("GET", "/v1/applications/{application_id}"),  # read it, appeal it (DESIGN.md), nothing else
                         ("POST", "/v1/applications/{application_id}/appeals"), ("GET", "/v1/appeals/{appeal_id}"),
                         ("GET", "/v1/applications/{application_id}/access-log")}  # who has read my data (the pages)
    assert all(ROUTE_ACCESS[route]["citizen"] == OWN for route in reachable)
    assert ROUTE_ACCESS[("GET", "/v1/access-log")] == {"operator": ANY}


def test_personal_data_is_never_public():
    for route, rule in ROUTE_ACCESS.items():
        if "{application_id}" in route[1] or route[1] in ("/v1/access-log", "/metrics", "/console"):
            assert rule is not PUBLIC, route


def test_the_login_redirect_stays_on_this_site():
    from services.intake.login import safe_next

    assert safe_next("/console/applications/x") == "/console/applications/x"
    for hostile in ("https://evil.example/", "//evil.example/", "/\\evil.example", "", None, "console"):
        assert safe_next(hostile) == "/console"
    assert access.LOGIN_PATH.startswith(access.PAGE_PREFIXES)

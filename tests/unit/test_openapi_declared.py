"""The OpenAPI document declares every status an operation can answer, and who may call it."""
from __future__ import annotations

import pytest

from services.intake.access import PUBLIC, ROUTE_ACCESS
from services.intake.api import create_app
from tests.unit.test_role_table import _Context


@pytest.fixture(scope="module")
def document(tmp_path_factory):
    return create_app(_Context(tmp_path_factory.mktemp("keys"))).openapi()


def operations(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield (method.upper(), path), operation


def test_every_operation_is_in_the_role_table(document):
    assert all(route in ROUTE_ACCESS for route, _ in operations(document))


def test_protected_operations_declare_401_403_and_the_bearer_scheme(document):
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    protected = [(route, op) for route, op in operations(document) if ROUTE_ACCESS[route] is not PUBLIC]
    assert protected
    for route, operation in protected:
        assert {"401", "403"} <= set(operation["responses"]), route
        assert operation["security"] == [{"bearer": []}], route
        assert "Roles:" in operation["description"], route


def test_what_each_operation_can_answer_is_declared(document):
    declared = {route: set(op["responses"]) for route, op in operations(document)}
    assert {"202", "401", "409", "413", "415", "422", "429", "503"} <= declared[("POST", "/v1/applications")]
    for route in (("GET", "/v1/applications/{application_id}"), ("GET", "/v1/applications/{application_id}/trace")):
        assert {"200", "401", "403", "404", "422", "503"} <= declared[route], route
    assert {"200", "401", "403", "422", "503"} <= declared[("GET", "/v1/access-log")]
    assert "503" in declared[("GET", "/readyz")]


def test_refusal_bodies_are_the_field_error_list(document):
    schema = document["paths"]["/v1/applications"]["post"]["responses"]["422"]["content"]["application/json"]["schema"]
    assert schema["type"] == "array" and schema["items"]["$ref"].endswith("/FieldError")

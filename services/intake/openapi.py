"""The OpenAPI document says who may call each operation, from the role table (services/intake/access.py)."""
from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from services.intake.access import OWN, PUBLIC, ROUTE_ACCESS

BEARER = {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                     "description": "EdDSA/ES256 JWT: `jointaid token`, your OIDC provider, or a submission's access_token"}}


def who_may(rule: dict) -> str:
    return ", ".join(f"{role} (own application only)" if reach == OWN else role for role, reach in sorted(rule.items()))


def install(app: FastAPI) -> None:
    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, summary=app.summary, description=app.description,
                                 routes=app.routes)
            schema.setdefault("components", {})["securitySchemes"] = BEARER
            for path, operations in schema["paths"].items():
                for method, operation in operations.items():
                    rule = ROUTE_ACCESS.get((method.upper(), path))
                    if rule is PUBLIC:
                        operation["security"] = [{}, {"bearer": []}]  # a token is optional; a staff one is recorded
                        continue
                    operation["security"] = [{"bearer": []}]
                    note = f"Roles: {who_may(rule)}."
                    operation["description"] = f"{operation.get('description', '')}\n\n{note}".strip()
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi

"""The OpenAPI document as integrators need it to generate clients that match what the API does.

FastAPI describes the routes; this adds what middleware and handlers do around them, so the
document does not lie: the one error schema for every 4xx (FastAPI would advertise its own
validation shape for 422), the ``Idempotency-Key`` header on every POST, ``ETag`` /
``If-None-Match`` / 304 on every read, and 401/403/429/503 wherever a key is needed.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PUBLIC_PATHS = frozenset({"/v1/health", "/v1/ready"})
ERROR_REF = {"$ref": "#/components/schemas/Error"}

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "field"],
            "properties": {
                "code": {"type": "string", "description": "Stable machine code: not_found, conflict, …"},
                "message": {"type": "string", "description": "For people."},
                "field": {"type": ["string", "null"], "description": "The input at fault, when one is."},
            },
        }
    },
}

_ERRORS = {
    "400": "Bad request",
    "401": "Missing, unknown or revoked API key",
    "403": "The key's scope does not allow this",
    "404": "Not found (or not visible to this key)",
    "409": "Conflict with the current state (or the Idempotency-Key is in use)",
    "422": "Invalid input (or the Idempotency-Key was used for another request)",
    "429": "Rate limit exceeded; see Retry-After",
    "503": "The database is not answering; retry after Retry-After seconds",
}

IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Makes retries safe: the same key and request within 24 h replay the first response.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}
IF_NONE_MATCH_PARAMETER = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "An ETag from an earlier response: 304 when nothing changed.",
    "schema": {"type": "string"},
}


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def describe(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = _error_response(_ERRORS["422"])
            if path in PUBLIC_PATHS:
                continue
            for code, text in _ERRORS.items():
                responses.setdefault(code, _error_response(text))
            parameters = operation.setdefault("parameters", [])
            if method == "post":
                parameters.append(IDEMPOTENCY_PARAMETER)
            if method == "get":
                parameters.append(IF_NONE_MATCH_PARAMETER)
                responses.setdefault("304", {"description": "Not modified since the ETag sent in If-None-Match"})
                ok = responses.get("200")
                if ok is not None:
                    ok.setdefault("headers", {})["ETag"] = {
                        "description": "Tag of this representation, for If-None-Match.",
                        "schema": {"type": "string"},
                    }
    return schema


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                    servers=app.servers,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

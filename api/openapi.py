"""The OpenAPI 3.1 document of the people's API, built from the same pydantic models."""

from __future__ import annotations

from typing import Any

from api.workers import RegistrationIn, WorkerView

_PROBLEM = {
    "type": "object",
    "properties": {
        "error": {"type": "string"},
        "reason": {"type": "string"},
        "message_zh": {"type": "string"},
        "problems": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "reason": {"type": "string"},
                    "message_zh": {"type": "string"},
                },
                "required": ["field", "reason", "message_zh"],
            },
        },
    },
    "required": ["error"],
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    described = {
        401: "not authenticated",
        403: "outside the caller's role or scope",
        404: "not found (or not visible)",
        409: "conflicts with current state",
        422: "invalid input: every problem with field, reason and Chinese message",
    }
    return {
        str(code): {
            "description": described[code],
            **_json({"$ref": "#/components/schemas/Problem"}),
        }
        for code in codes
    }


_WORKER_ID = {
    "name": "worker_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
}


def openapi_document() -> dict[str, Any]:
    worker = {"$ref": "#/components/schemas/WorkerView"}
    login_body = {
        "type": "object",
        "required": ["login", "password"],
        "properties": {
            "login": {"type": "string", "minLength": 1},
            "password": {"type": "string", "minLength": 1},
        },
    }
    password_body = {
        "type": "object",
        "required": ["old_password", "new_password"],
        "properties": {
            "old_password": {"type": "string", "minLength": 1},
            "new_password": {"type": "string", "minLength": 1},
        },
    }
    exit_body = {
        "type": "object",
        "required": ["project_id", "exit_date", "reason", "confirm"],
        "properties": {
            "project_id": {"type": "string"},
            "exit_date": {"type": "string", "format": "date"},
            "reason": {"type": "string"},
            "confirm": {"type": "boolean"},
        },
    }
    token = {
        "type": "object",
        "properties": {
            "token": {"type": "string"},
            "role": {"type": "string"},
            "must_change_password": {"type": "boolean"},
        },
    }
    page = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": worker},
            "total": {"type": "integer"},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
        },
    }
    registered = {
        "type": "object",
        "properties": {
            "worker": worker,
            "created": {"type": "boolean"},
            "active_elsewhere": {"type": "array", "items": {"type": "string"}},
        },
    }
    query = [
        {"name": "project_id", "in": "query", "schema": {"type": "string"}},
        {"name": "name", "in": "query", "schema": {"type": "string"}},
        {"name": "id_suffix", "in": "query", "schema": {"type": "string"}},
        {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 500},
        },
        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
    ]
    return {
        "openapi": "3.1.0",
        "info": {"title": "SitePulse people's API", "version": "0.1.0"},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Problem": _PROBLEM,
                "WorkerView": WorkerView.model_json_schema(
                    ref_template="#/components/schemas/{model}"
                ),
                "RegistrationIn": RegistrationIn.model_json_schema(),
                "MembershipView": WorkerView.model_json_schema()["$defs"]["MembershipView"],
            },
        },
        "security": [{"bearer": []}],
        "paths": {
            "/v1/auth/login": {
                "post": {
                    "security": [],
                    "requestBody": {"required": True, **_json(login_body)},
                    "responses": {
                        "200": {"description": "a token", **_json(token)},
                        **_errors(401, 422),
                    },
                }
            },
            "/v1/auth/password": {
                "post": {
                    "requestBody": {"required": True, **_json(password_body)},
                    "responses": {
                        "200": {"description": "a new token", **_json(token)},
                        **_errors(401, 422),
                    },
                }
            },
            "/v1/workers": {
                "post": {
                    "requestBody": {
                        "required": True,
                        **_json({"$ref": "#/components/schemas/RegistrationIn"}),
                    },
                    "responses": {
                        "201": {"description": "registered", **_json(registered)},
                        "200": {
                            "description": "already registered; entered the project",
                            **_json(registered),
                        },
                        **_errors(401, 403, 404, 409, 422),
                    },
                },
                "get": {
                    "parameters": query,
                    "responses": {
                        "200": {"description": "a page of workers", **_json(page)},
                        **_errors(401, 403, 422),
                    },
                },
            },
            "/v1/workers/{worker_id}": {
                "get": {
                    "parameters": [_WORKER_ID],
                    "responses": {
                        "200": {"description": "the worker", **_json(worker)},
                        **_errors(401, 403, 404, 422),
                    },
                }
            },
            "/v1/workers/{worker_id}/exit": {
                "post": {
                    "parameters": [_WORKER_ID],
                    "requestBody": {"required": True, **_json(exit_body)},
                    "responses": {
                        "200": {"description": "exited", **_json(worker)},
                        **_errors(401, 403, 404, 409, 422),
                    },
                }
            },
        },
    }

"""The OpenAPI 3.1 document of the people's API, built from the same pydantic models."""

from __future__ import annotations

from typing import Any

from api.devices import DeviceView
from api.enterprises import EnterprisePatch, EnterpriseView
from api.openapi_alerts import alert_paths
from api.openapi_attendance import attendance_paths
from api.openapi_faces import face_paths
from api.openapi_parts import (
    PROBLEM_SCHEMA,
    WORKER_ID_PARAM,
    error_responses,
    json_content,
    schema_of,
)
from api.openapi_registry import registry_paths
from api.projects import ProjectPatch, ProjectView, TeamPatch, TeamView
from api.routes_regions import RegionIn
from api.workers import RegistrationIn, WorkerPatch, WorkerView


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
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "SitePulse people's API", "version": "0.1.0"},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Problem": PROBLEM_SCHEMA,
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
                    "requestBody": {"required": True, **json_content(login_body)},
                    "responses": {
                        "200": {"description": "a token", **json_content(token)},
                        **error_responses(401, 413, 422, 429),
                    },
                }
            },
            "/v1/auth/password": {
                "post": {
                    "requestBody": {"required": True, **json_content(password_body)},
                    "responses": {
                        "200": {"description": "a new token", **json_content(token)},
                        **error_responses(401, 422),
                    },
                }
            },
            "/v1/workers": {
                "post": {
                    "requestBody": {
                        "required": True,
                        **json_content({"$ref": "#/components/schemas/RegistrationIn"}),
                    },
                    "responses": {
                        "201": {"description": "registered", **json_content(registered)},
                        "200": {
                            "description": "already registered; entered the project",
                            **json_content(registered),
                        },
                        **error_responses(401, 403, 404, 409, 422),
                    },
                },
                "get": {
                    "parameters": query,
                    "responses": {
                        "200": {"description": "a page of workers", **json_content(page)},
                        **error_responses(401, 403, 422),
                    },
                },
            },
            "/v1/workers/{worker_id}": {
                "get": {
                    "parameters": [WORKER_ID_PARAM],
                    "responses": {
                        "200": {"description": "the worker", **json_content(worker)},
                        **error_responses(401, 403, 404, 422),
                    },
                }
            },
            **registry_paths(),
            "/v1/workers/{worker_id}/exit": {
                "post": {
                    "parameters": [WORKER_ID_PARAM],
                    "requestBody": {"required": True, **json_content(exit_body)},
                    "responses": {
                        "200": {"description": "exited", **json_content(worker)},
                        **error_responses(401, 403, 404, 409, 422),
                    },
                }
            },
        },
    }
    paths = document["paths"]
    project_patch = schema_of(ProjectPatch)
    project_patch["properties"] = {
        **project_patch["properties"],
        "reason": {"type": "string", "maxLength": 500, "description": "why (for the regulator)"},
    }
    paths["/v1/projects/{project_id}"]["patch"] = {
        "parameters": [
            {
                "name": "project_id",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,64}$"},
            }
        ],
        "requestBody": {"required": True, **json_content(project_patch)},
        "responses": {
            "200": {"description": "updated", **json_content(schema_of(ProjectView))},
            "202": {
                "description": (
                    "the other fields updated; suspending, completing or moving the briefing"
                    " date waits for a regulator (pending_change_request)"
                ),
                **json_content({"type": "object"}),
            },
            **error_responses(401, 403, 404, 409, 422),
        },
    }
    paths["/v1/workers/{worker_id}"]["patch"] = {
        "parameters": [WORKER_ID_PARAM],
        "requestBody": {"required": True, **json_content(schema_of(WorkerPatch))},
        "responses": {
            "200": {"description": "corrected", **json_content(schema_of(WorkerView))},
            **error_responses(401, 403, 404, 422),
        },
    }
    id_param = {
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
    }
    text_id = {
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,64}$"},
    }
    confirm_body = {
        "type": "object",
        "required": ["reason", "confirm"],
        "properties": {"reason": {"type": "string"}, "confirm": {"type": "boolean"}},
    }
    any_object = json_content({"type": "object"})
    paths["/v1/regions"]["post"] = {
        "requestBody": {"required": True, **json_content(schema_of(RegionIn))},
        "responses": {
            "201": {"description": "registered", **any_object},
            **error_responses(401, 403, 409, 422),
        },
    }
    paths["/v1/projects/{project_id}/devices"]["get"] = {
        "parameters": [{**text_id, "name": "project_id"}],
        "responses": {
            "200": {
                "description": "devices, never their secrets",
                **json_content(
                    {
                        "type": "object",
                        "properties": {"items": {"type": "array", "items": schema_of(DeviceView)}},
                    }
                ),
            },
            **error_responses(401, 403, 404),
        },
    }
    paths["/v1/devices/{device_id}/disable"] = {
        "post": {
            "parameters": [{**text_id, "name": "device_id"}],
            "requestBody": {"required": True, **json_content(confirm_body)},
            "responses": {
                "200": {"description": "disabled", **any_object},
                **error_responses(401, 403, 404, 409, 422),
            },
        }
    }
    paths["/v1/teams/{team_id}"] = {
        "patch": {
            "parameters": [{**id_param, "name": "team_id"}],
            "requestBody": {"required": True, **json_content(schema_of(TeamPatch))},
            "responses": {
                "200": {"description": "updated", **json_content(schema_of(TeamView))},
                **error_responses(401, 403, 404, 409, 422),
            },
        }
    }
    paths["/v1/enterprises/{enterprise_id}"] = {
        "get": {
            "parameters": [{**id_param, "name": "enterprise_id"}],
            "responses": {
                "200": {"description": "the enterprise", **json_content(schema_of(EnterpriseView))},
                **error_responses(401, 403, 404),
            },
        },
        "patch": {
            "parameters": [{**id_param, "name": "enterprise_id"}],
            "requestBody": {"required": True, **json_content(schema_of(EnterprisePatch))},
            "responses": {
                "200": {"description": "updated", **json_content(schema_of(EnterpriseView))},
                **error_responses(401, 403, 404, 422),
            },
        },
    }
    paths["/v1/users/{user_id}/disable"] = {
        "post": {
            "parameters": [{**id_param, "name": "user_id"}],
            "responses": {
                "200": {"description": "disabled", **any_object},
                **error_responses(401, 403, 404),
            },
        }
    }
    paths["/v1/users/{user_id}/unlock"] = {
        "post": {
            "summary": "Lift a login lockout (audited)",
            "parameters": [{**id_param, "name": "user_id"}],
            "responses": {
                "200": {"description": "unlocked", **any_object},
                **error_responses(401, 403, 404),
            },
        }
    }
    paths["/v1/workers/{worker_id}/initial-password"] = {
        "post": {
            "summary": "Issue a new initial password to a worker (shown once; audited)",
            "parameters": [WORKER_ID_PARAM],
            "responses": {
                "201": {"description": "issued", **any_object},
                **error_responses(401, 403, 404),
            },
        }
    }
    paths["/v1/project-change-requests"] = {
        "get": {
            "summary": "Project changes waiting for a regulator, in the caller's scope",
            "responses": {
                "200": {"description": "pending requests", **any_object},
                **error_responses(401, 403),
            },
        }
    }
    decision = {
        "type": "object",
        "required": ["approve", "reason"],
        "properties": {
            "approve": {"type": "boolean"},
            "reason": {"type": "string", "minLength": 1, "maxLength": 500},
        },
    }
    paths["/v1/project-change-requests/{request_id}/decision"] = {
        "post": {
            "summary": "A regulator approves (it takes effect) or rejects, with the reason",
            "parameters": [{**id_param, "name": "request_id"}],
            "requestBody": {"required": True, **json_content(decision)},
            "responses": {
                "200": {"description": "decided", **any_object},
                **error_responses(401, 403, 404, 409, 422),
            },
        }
    }
    paths.update(face_paths())
    paths.update(attendance_paths())
    paths.update(alert_paths())
    return document

"""The OpenAPI 3.1 document of the people's API, built from the same pydantic models."""

from __future__ import annotations

from typing import Any

from api.contracts import ContractIn, ContractView
from api.device_registry import DeviceIn, DeviceView, IssuedCredential
from api.enterprises import EnterpriseIn, EnterprisePatch, EnterpriseView, ParticipationIn
from api.invitations import InvitationIn, InvitationView
from api.key_positions import KeyPositionIn, KeyPositionView
from api.openapi_attendance import alert_paths, attendance_paths
from api.openapi_faces import face_paths
from api.openapi_parts import (
    PROBLEM_SCHEMA,
    WORKER_ID_PARAM,
    error_responses,
    json_content,
    page_of,
    schema_of,
)
from api.projects import ProjectIn, ProjectPatch, ProjectView, TeamIn, TeamPatch, TeamView
from api.routes_projects import RegionIn
from api.routes_users import UserIn
from api.workers import RegistrationIn, WorkerPatch, WorkerView


def _extra_paths() -> dict[str, Any]:
    project_id = {
        "name": "project_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,64}$"},
    }
    team_id = {
        "name": "team_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
    }
    device_id = {
        "name": "device_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,64}$"},
    }
    team_exit = {
        "type": "object",
        "required": ["exit_date", "reason", "confirm"],
        "properties": {
            "exit_date": {"type": "string", "format": "date"},
            "reason": {"type": "string"},
            "confirm": {"type": "boolean"},
        },
    }
    exited = {
        "type": "object",
        "properties": {
            "team_id": {"type": "integer"},
            "exited_workers": {"type": "array", "items": {"type": "integer"}},
        },
    }
    paging = [
        {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 500},
        },
        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
    ]
    return {
        "/v1/projects": {
            "post": {
                "requestBody": {"required": True, **json_content(schema_of(ProjectIn))},
                "responses": {
                    "201": {"description": "registered", **json_content(schema_of(ProjectView))},
                    **error_responses(401, 403, 409, 422),
                },
            },
            "get": {
                "parameters": paging,
                "responses": {
                    "200": {
                        "description": "projects in scope",
                        **json_content(page_of(schema_of(ProjectView))),
                    },
                    **error_responses(401, 422),
                },
            },
        },
        "/v1/projects/{project_id}": {
            "get": {
                "parameters": [project_id],
                "responses": {
                    "200": {"description": "the project", **json_content(schema_of(ProjectView))},
                    **error_responses(401, 403, 404),
                },
            }
        },
        "/v1/projects/{project_id}/teams": {
            "post": {
                "parameters": [project_id],
                "requestBody": {"required": True, **json_content(schema_of(TeamIn))},
                "responses": {
                    "201": {"description": "created", **json_content(schema_of(TeamView))},
                    **error_responses(401, 403, 404, 409, 422),
                },
            },
            "get": {
                "parameters": [project_id],
                "responses": {
                    "200": {
                        "description": "teams",
                        **json_content(
                            {
                                "type": "object",
                                "properties": {
                                    "items": {"type": "array", "items": schema_of(TeamView)}
                                },
                            }
                        ),
                    },
                    **error_responses(401, 403, 404),
                },
            },
        },
        "/v1/teams/{team_id}/exit": {
            "post": {
                "parameters": [team_id],
                "requestBody": {"required": True, **json_content(team_exit)},
                "responses": {
                    "200": {"description": "every active member exited", **json_content(exited)},
                    **error_responses(401, 403, 404, 409, 422),
                },
            }
        },
        "/v1/projects/{project_id}/devices": {
            "post": {
                "parameters": [project_id],
                "requestBody": {"required": True, **json_content(schema_of(DeviceIn))},
                "responses": {
                    "201": {
                        "description": "credential, shown once",
                        **json_content(schema_of(IssuedCredential)),
                    },
                    **error_responses(401, 403, 404, 409, 422),
                },
            }
        },
        "/v1/projects/{project_id}/key-positions": {
            "post": {
                "parameters": [project_id],
                "requestBody": {"required": True, **json_content(schema_of(KeyPositionIn))},
                "responses": {
                    "201": {
                        "description": "entry requested",
                        **json_content(schema_of(KeyPositionView)),
                    },
                    **error_responses(401, 403, 404, 409, 422),
                },
            },
            "get": {
                "parameters": [project_id],
                "responses": {
                    "200": {
                        "description": "key positions",
                        **json_content(
                            {
                                "type": "object",
                                "properties": {
                                    "items": {"type": "array", "items": schema_of(KeyPositionView)}
                                },
                            }
                        ),
                    },
                    **error_responses(401, 403, 404),
                },
            },
        },
        "/v1/key-positions/{position_id}/exit-request": {
            "post": {
                "parameters": [{**team_id, "name": "position_id"}],
                "requestBody": {
                    "required": True,
                    **json_content(
                        {"type": "object", "properties": {"reason": {"type": "string"}}}
                    ),
                },
                "responses": {
                    "200": {
                        "description": "exit requested",
                        **json_content(schema_of(KeyPositionView)),
                    },
                    **error_responses(401, 403, 404, 409, 422),
                },
            }
        },
        "/v1/key-positions/{position_id}/decision": {
            "post": {
                "parameters": [{**team_id, "name": "position_id"}],
                "requestBody": {
                    "required": True,
                    **json_content(
                        {
                            "type": "object",
                            "properties": {
                                "decision": {"enum": ["approve", "reject"]},
                                "reason": {"type": "string"},
                            },
                        }
                    ),
                },
                "responses": {
                    "200": {"description": "decided", **json_content(schema_of(KeyPositionView))},
                    **error_responses(401, 403, 404, 409, 422),
                },
            }
        },
        "/v1/projects/{project_id}/invitations": {
            "post": {
                "parameters": [project_id],
                "requestBody": {"required": True, **json_content(schema_of(InvitationIn))},
                "responses": {
                    "201": {"description": "invited", **json_content(schema_of(InvitationView))},
                    **error_responses(401, 403, 404, 409, 422),
                },
            }
        },
        "/v1/me/invitations": {
            "get": {
                "responses": {
                    "200": {
                        "description": "the caller's invitations",
                        **json_content(
                            {
                                "type": "object",
                                "properties": {
                                    "items": {"type": "array", "items": schema_of(InvitationView)}
                                },
                            }
                        ),
                    },
                    **error_responses(401, 403),
                }
            }
        },
        "/v1/invitations/{invitation_id}/{answer}": {
            "post": {
                "parameters": [
                    {**team_id, "name": "invitation_id"},
                    {
                        "name": "answer",
                        "in": "path",
                        "required": True,
                        "schema": {"enum": ["accept", "decline"]},
                    },
                ],
                "responses": {
                    "200": {"description": "answered", **json_content(schema_of(InvitationView))},
                    **error_responses(401, 403, 404, 409, 422),
                },
            }
        },
        "/v1/enterprises": {
            "post": {
                "requestBody": {"required": True, **json_content(schema_of(EnterpriseIn))},
                "responses": {
                    "201": {"description": "registered", **json_content(schema_of(EnterpriseView))},
                    **error_responses(401, 403, 409, 422),
                },
            },
            "get": {
                "parameters": [
                    *paging,
                    {"name": "name", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {
                        "description": "enterprises",
                        **json_content(
                            {
                                "type": "object",
                                "properties": {
                                    "items": {"type": "array", "items": schema_of(EnterpriseView)},
                                    "limit": {"type": "integer"},
                                    "offset": {"type": "integer"},
                                },
                            }
                        ),
                    },
                    **error_responses(401, 403, 422),
                },
            },
        },
        "/v1/projects/{project_id}/enterprises": {
            "post": {
                "parameters": [project_id],
                "requestBody": {"required": True, **json_content(schema_of(ParticipationIn))},
                "responses": {
                    "201": {
                        "description": "added",
                        **json_content(
                            {
                                "type": "object",
                                "properties": {
                                    "project_id": {"type": "string"},
                                    "enterprise_id": {"type": "integer"},
                                    "role": {"type": "string"},
                                },
                            }
                        ),
                    },
                    **error_responses(401, 403, 404, 409, 422),
                },
            }
        },
        "/v1/workers/{worker_id}/contracts": {
            "post": {
                "parameters": [WORKER_ID_PARAM],
                "requestBody": {"required": True, **json_content(schema_of(ContractIn))},
                "responses": {
                    "201": {"description": "recorded", **json_content(schema_of(ContractView))},
                    **error_responses(401, 403, 404, 409, 422),
                },
            },
            "get": {
                "parameters": [WORKER_ID_PARAM],
                "responses": {
                    "200": {
                        "description": "contracts",
                        **json_content(
                            {
                                "type": "object",
                                "properties": {
                                    "items": {"type": "array", "items": schema_of(ContractView)}
                                },
                            }
                        ),
                    },
                    **error_responses(401, 403, 404),
                },
            },
        },
        "/v1/users": {
            "post": {
                "requestBody": {"required": True, **json_content(schema_of(UserIn))},
                "responses": {
                    "201": {
                        "description": "created; the password must be changed",
                        **json_content({"type": "object"}),
                    },
                    **error_responses(401, 403, 409, 422),
                },
            }
        },
        "/v1/regions": {
            "get": {
                "responses": {
                    "200": {
                        "description": "administrative regions",
                        **json_content({"type": "object"}),
                    },
                    **error_responses(401),
                }
            }
        },
        "/v1/devices/{device_id}/rotate": {
            "post": {
                "parameters": [device_id],
                "responses": {
                    "200": {
                        "description": "new credential, shown once",
                        **json_content(schema_of(IssuedCredential)),
                    },
                    **error_responses(401, 403, 404),
                },
            }
        },
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
                        **error_responses(401, 422),
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
            **_extra_paths(),
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
    paths["/v1/projects/{project_id}"]["patch"] = {
        "parameters": [
            {
                "name": "project_id",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,64}$"},
            }
        ],
        "requestBody": {"required": True, **json_content(schema_of(ProjectPatch))},
        "responses": {
            "200": {"description": "updated", **json_content(schema_of(ProjectView))},
            **error_responses(401, 403, 404, 422),
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
    paths.update(face_paths())
    paths.update(attendance_paths())
    paths.update(alert_paths())
    return document

"""The OpenAPI 3.1 document of the people's API, built from the same pydantic models."""

from __future__ import annotations

from typing import Any

from api.contracts import ContractIn, ContractView
from api.device_registry import DeviceIn, DeviceView, IssuedCredential
from api.enterprises import EnterpriseIn, EnterprisePatch, EnterpriseView, ParticipationIn
from api.invitations import InvitationIn, InvitationView
from api.key_positions import KeyPositionIn, KeyPositionView
from api.projects import ProjectIn, ProjectPatch, ProjectView, TeamIn, TeamPatch, TeamView
from api.routes_projects import RegionIn
from api.routes_users import UserIn
from api.workers import RegistrationIn, WorkerPatch, WorkerView

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


def _schema(model: Any) -> dict[str, Any]:
    return dict(model.model_json_schema(ref_template="#/components/schemas/{model}"))


def page_of(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": item},
            "total": {"type": "integer"},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
        },
    }


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
                "requestBody": {"required": True, **_json(_schema(ProjectIn))},
                "responses": {
                    "201": {"description": "registered", **_json(_schema(ProjectView))},
                    **_errors(401, 403, 409, 422),
                },
            },
            "get": {
                "parameters": paging,
                "responses": {
                    "200": {
                        "description": "projects in scope",
                        **_json(page_of(_schema(ProjectView))),
                    },
                    **_errors(401, 422),
                },
            },
        },
        "/v1/projects/{project_id}": {
            "get": {
                "parameters": [project_id],
                "responses": {
                    "200": {"description": "the project", **_json(_schema(ProjectView))},
                    **_errors(401, 403, 404),
                },
            }
        },
        "/v1/projects/{project_id}/teams": {
            "post": {
                "parameters": [project_id],
                "requestBody": {"required": True, **_json(_schema(TeamIn))},
                "responses": {
                    "201": {"description": "created", **_json(_schema(TeamView))},
                    **_errors(401, 403, 404, 409, 422),
                },
            },
            "get": {
                "parameters": [project_id],
                "responses": {
                    "200": {
                        "description": "teams",
                        **_json(
                            {
                                "type": "object",
                                "properties": {
                                    "items": {"type": "array", "items": _schema(TeamView)}
                                },
                            }
                        ),
                    },
                    **_errors(401, 403, 404),
                },
            },
        },
        "/v1/teams/{team_id}/exit": {
            "post": {
                "parameters": [team_id],
                "requestBody": {"required": True, **_json(team_exit)},
                "responses": {
                    "200": {"description": "every active member exited", **_json(exited)},
                    **_errors(401, 403, 404, 409, 422),
                },
            }
        },
        "/v1/projects/{project_id}/devices": {
            "post": {
                "parameters": [project_id],
                "requestBody": {"required": True, **_json(_schema(DeviceIn))},
                "responses": {
                    "201": {
                        "description": "credential, shown once",
                        **_json(_schema(IssuedCredential)),
                    },
                    **_errors(401, 403, 404, 409, 422),
                },
            }
        },
        "/v1/projects/{project_id}/key-positions": {
            "post": {
                "parameters": [project_id],
                "requestBody": {"required": True, **_json(_schema(KeyPositionIn))},
                "responses": {
                    "201": {"description": "entry requested", **_json(_schema(KeyPositionView))},
                    **_errors(401, 403, 404, 409, 422),
                },
            },
            "get": {
                "parameters": [project_id],
                "responses": {
                    "200": {
                        "description": "key positions",
                        **_json(
                            {
                                "type": "object",
                                "properties": {
                                    "items": {"type": "array", "items": _schema(KeyPositionView)}
                                },
                            }
                        ),
                    },
                    **_errors(401, 403, 404),
                },
            },
        },
        "/v1/key-positions/{position_id}/exit-request": {
            "post": {
                "parameters": [{**team_id, "name": "position_id"}],
                "requestBody": {
                    "required": True,
                    **_json({"type": "object", "properties": {"reason": {"type": "string"}}}),
                },
                "responses": {
                    "200": {"description": "exit requested", **_json(_schema(KeyPositionView))},
                    **_errors(401, 403, 404, 409, 422),
                },
            }
        },
        "/v1/key-positions/{position_id}/decision": {
            "post": {
                "parameters": [{**team_id, "name": "position_id"}],
                "requestBody": {
                    "required": True,
                    **_json(
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
                    "200": {"description": "decided", **_json(_schema(KeyPositionView))},
                    **_errors(401, 403, 404, 409, 422),
                },
            }
        },
        "/v1/projects/{project_id}/invitations": {
            "post": {
                "parameters": [project_id],
                "requestBody": {"required": True, **_json(_schema(InvitationIn))},
                "responses": {
                    "201": {"description": "invited", **_json(_schema(InvitationView))},
                    **_errors(401, 403, 404, 409, 422),
                },
            }
        },
        "/v1/me/invitations": {
            "get": {
                "responses": {
                    "200": {
                        "description": "the caller's invitations",
                        **_json(
                            {
                                "type": "object",
                                "properties": {
                                    "items": {"type": "array", "items": _schema(InvitationView)}
                                },
                            }
                        ),
                    },
                    **_errors(401, 403),
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
                    "200": {"description": "answered", **_json(_schema(InvitationView))},
                    **_errors(401, 403, 404, 409, 422),
                },
            }
        },
        "/v1/enterprises": {
            "post": {
                "requestBody": {"required": True, **_json(_schema(EnterpriseIn))},
                "responses": {
                    "201": {"description": "registered", **_json(_schema(EnterpriseView))},
                    **_errors(401, 403, 409, 422),
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
                        **_json(
                            {
                                "type": "object",
                                "properties": {
                                    "items": {"type": "array", "items": _schema(EnterpriseView)},
                                    "limit": {"type": "integer"},
                                    "offset": {"type": "integer"},
                                },
                            }
                        ),
                    },
                    **_errors(401, 403, 422),
                },
            },
        },
        "/v1/projects/{project_id}/enterprises": {
            "post": {
                "parameters": [project_id],
                "requestBody": {"required": True, **_json(_schema(ParticipationIn))},
                "responses": {
                    "201": {
                        "description": "added",
                        **_json(
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
                    **_errors(401, 403, 404, 409, 422),
                },
            }
        },
        "/v1/workers/{worker_id}/contracts": {
            "post": {
                "parameters": [_WORKER_ID],
                "requestBody": {"required": True, **_json(_schema(ContractIn))},
                "responses": {
                    "201": {"description": "recorded", **_json(_schema(ContractView))},
                    **_errors(401, 403, 404, 409, 422),
                },
            },
            "get": {
                "parameters": [_WORKER_ID],
                "responses": {
                    "200": {
                        "description": "contracts",
                        **_json(
                            {
                                "type": "object",
                                "properties": {
                                    "items": {"type": "array", "items": _schema(ContractView)}
                                },
                            }
                        ),
                    },
                    **_errors(401, 403, 404),
                },
            },
        },
        "/v1/users": {
            "post": {
                "requestBody": {"required": True, **_json(_schema(UserIn))},
                "responses": {
                    "201": {
                        "description": "created; the password must be changed",
                        **_json({"type": "object"}),
                    },
                    **_errors(401, 403, 409, 422),
                },
            }
        },
        "/v1/regions": {
            "get": {
                "responses": {
                    "200": {"description": "administrative regions", **_json({"type": "object"})},
                    **_errors(401),
                }
            }
        },
        "/v1/devices/{device_id}/rotate": {
            "post": {
                "parameters": [device_id],
                "responses": {
                    "200": {
                        "description": "new credential, shown once",
                        **_json(_schema(IssuedCredential)),
                    },
                    **_errors(401, 403, 404),
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
            **_extra_paths(),
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
        "requestBody": {"required": True, **_json(_schema(ProjectPatch))},
        "responses": {
            "200": {"description": "updated", **_json(_schema(ProjectView))},
            **_errors(401, 403, 404, 422),
        },
    }
    paths["/v1/workers/{worker_id}"]["patch"] = {
        "parameters": [_WORKER_ID],
        "requestBody": {"required": True, **_json(_schema(WorkerPatch))},
        "responses": {
            "200": {"description": "corrected", **_json(_schema(WorkerView))},
            **_errors(401, 403, 404, 422),
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
    any_object = _json({"type": "object"})
    paths["/v1/regions"]["post"] = {
        "requestBody": {"required": True, **_json(_schema(RegionIn))},
        "responses": {
            "201": {"description": "registered", **any_object},
            **_errors(401, 403, 409, 422),
        },
    }
    paths["/v1/projects/{project_id}/devices"]["get"] = {
        "parameters": [{**text_id, "name": "project_id"}],
        "responses": {
            "200": {
                "description": "devices, never their secrets",
                **_json(
                    {
                        "type": "object",
                        "properties": {"items": {"type": "array", "items": _schema(DeviceView)}},
                    }
                ),
            },
            **_errors(401, 403, 404),
        },
    }
    paths["/v1/devices/{device_id}/disable"] = {
        "post": {
            "parameters": [{**text_id, "name": "device_id"}],
            "requestBody": {"required": True, **_json(confirm_body)},
            "responses": {
                "200": {"description": "disabled", **any_object},
                **_errors(401, 403, 404, 409, 422),
            },
        }
    }
    paths["/v1/teams/{team_id}"] = {
        "patch": {
            "parameters": [{**id_param, "name": "team_id"}],
            "requestBody": {"required": True, **_json(_schema(TeamPatch))},
            "responses": {
                "200": {"description": "updated", **_json(_schema(TeamView))},
                **_errors(401, 403, 404, 409, 422),
            },
        }
    }
    paths["/v1/enterprises/{enterprise_id}"] = {
        "get": {
            "parameters": [{**id_param, "name": "enterprise_id"}],
            "responses": {
                "200": {"description": "the enterprise", **_json(_schema(EnterpriseView))},
                **_errors(401, 403, 404),
            },
        },
        "patch": {
            "parameters": [{**id_param, "name": "enterprise_id"}],
            "requestBody": {"required": True, **_json(_schema(EnterprisePatch))},
            "responses": {
                "200": {"description": "updated", **_json(_schema(EnterpriseView))},
                **_errors(401, 403, 404, 422),
            },
        },
    }
    paths["/v1/users/{user_id}/disable"] = {
        "post": {
            "parameters": [{**id_param, "name": "user_id"}],
            "responses": {
                "200": {"description": "disabled", **any_object},
                **_errors(401, 403, 404),
            },
        }
    }
    return document

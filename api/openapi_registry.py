"""OpenAPI paths of the registry workflows: projects' rosters, teams, enterprises, key
positions, invitations, contracts, devices and users."""

from __future__ import annotations

from typing import Any

from api.contracts import ContractIn, ContractView
from api.devices import DeviceIn, IssuedCredential
from api.enterprises import EnterpriseIn, EnterpriseView, ParticipationIn
from api.invitations import InvitationIn, InvitationView
from api.key_positions import KeyPositionIn, KeyPositionView
from api.openapi_parts import (
    WORKER_ID_PARAM,
    error_responses,
    json_content,
    page_of,
    schema_of,
)
from api.projects import ProjectIn, ProjectView, TeamIn, TeamView
from api.routes_users import UserIn


def registry_paths() -> dict[str, Any]:
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

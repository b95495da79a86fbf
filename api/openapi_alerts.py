"""OpenAPI paths of alerts, alert thresholds and notification preferences."""

from __future__ import annotations

from typing import Any

from api.openapi_parts import (
    OBJECT_RESPONSE,
    error_responses,
    get_operation,
    json_content,
    query_param,
    schema_of,
)
from api.routes_preferences import PreferencesIn


def alert_paths() -> dict[str, Any]:
    alert_id = {
        "name": "alert_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
    }
    note = {
        "required": False,
        **json_content({"type": "object", "properties": {"note": {"type": "string"}}}),
    }

    def action(summary: str) -> dict[str, Any]:
        return {
            "post": {
                "summary": summary,
                "parameters": [alert_id],
                "requestBody": note,
                "responses": {
                    "200": {"description": summary, **OBJECT_RESPONSE},
                    **error_responses(401, 403, 404, 409, 422),
                },
            }
        }

    status = {"enum": ["open", "acknowledged", "resolved", "cleared"]}
    return {
        "/v1/alerts": get_operation(
            "Alerts in the caller's scope, newest first",
            [
                query_param("status", status, "filter by status"),
                query_param("project_id", {"type": "string"}, "filter by project"),
            ],
            401,
            403,
            422,
        ),
        "/v1/alerts/{alert_id}": get_operation(
            "An alert with its history and notification deliveries", [alert_id], 401, 403, 404
        ),
        "/v1/alerts/{alert_id}/acknowledge": action("Acknowledge an open alert"),
        "/v1/alerts/{alert_id}/resolve": action("Resolve an open or acknowledged alert"),
        "/v1/me/notification-preferences": {
            **get_operation("The caller's notification preferences", [], 401, 403),
            "put": {
                "summary": "Set channels (email, sms), addresses and quiet hours",
                "requestBody": {"required": True, **json_content(schema_of(PreferencesIn))},
                "responses": {
                    "200": {"description": "saved", **OBJECT_RESPONSE},
                    **error_responses(401, 403, 422),
                },
            },
        },
        "/v1/alert-rules/{region}": {
            "put": {
                "summary": "Set a region's alert thresholds (regulators; {} removes them)",
                "parameters": [
                    {"name": "region", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "requestBody": {"required": True, **json_content({"type": "object"})},
                "responses": {
                    "200": {"description": "the profile now in force", **OBJECT_RESPONSE},
                    **error_responses(401, 403, 422),
                },
            }
        },
        "/v1/alert-rules": get_operation(
            "The alert thresholds of a region (versioned profile)",
            [query_param("region", {"type": "string"}, "6-digit region code")],
            401,
            422,
        ),
    }

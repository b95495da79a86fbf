"""OpenAPI paths of the attendance endpoints."""

from __future__ import annotations

from typing import Any

from api.openapi_parts import WORKER_ID_PARAM, error_responses, json_content, schema_of
from api.routes_preferences import PreferencesIn


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


_PROJECT = {"name": "project_id", "in": "path", "required": True, "schema": {"type": "string"}}
_MONTH = _query(
    "month", {"type": "string", "pattern": r"^\d{4}-\d{2}$"}, "YYYY-MM (default: this month)"
)
_OBJECT = json_content({"type": "object"})


def _get(summary: str, parameters: list[dict[str, Any]], *errors: int) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "parameters": parameters,
            "responses": {"200": {"description": summary, **_OBJECT}, **error_responses(*errors)},
        }
    }


def attendance_paths() -> dict[str, Any]:
    day = {"type": "string", "format": "date"}
    return {
        "/v1/workers/{worker_id}/attendance": _get(
            "考勤日历: the worker's attendance days of a month",
            [WORKER_ID_PARAM, _MONTH],
            401,
            403,
            404,
            422,
        ),
        "/v1/workers/{worker_id}/attendance/{day}": _get(
            "考勤详情: the worker's passes of one day with capture photos",
            [WORKER_ID_PARAM, {"name": "day", "in": "path", "required": True, "schema": day}],
            401,
            403,
            404,
            422,
        ),
        "/v1/projects/{project_id}/attendance": _get(
            "Workers present, person-days, time on site and attendance rate",
            [
                _PROJECT,
                _query("from", day, "first day (default: the 1st of this month)"),
                _query("to", day, "last day (default: today); at most 366 days"),
                _query("period", {"enum": ["day", "week", "month"]}, "default day"),
                _query("group", {"enum": ["none", "team", "trade"]}, "default none"),
            ],
            401,
            403,
            404,
            422,
        ),
        "/v1/projects/{project_id}/attendance/update-rate": _get(
            "考勤更新率: roster workers with attendance in the last N days",
            [
                _PROJECT,
                _query("days", {"type": "integer", "minimum": 1, "maximum": 366}, "default 30"),
            ],
            401,
            403,
            404,
            422,
        ),
        "/v1/projects/{project_id}/key-positions/presence": _get(
            "关键岗位到岗率 of a month", [_PROJECT, _MONTH], 401, 403, 404, 422
        ),
        "/v1/projects/{project_id}/presence": _get(
            "Who is on site now: headcount by team and trade", [_PROJECT], 401, 403, 404
        ),
        "/v1/overview": _get(
            "Every visible project's roster, headcount now and figures of the day",
            [_query("day", day, "default today (Beijing)")],
            401,
            403,
            422,
        ),
    }


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
                    "200": {"description": summary, **_OBJECT},
                    **error_responses(401, 403, 404, 409, 422),
                },
            }
        }

    status = {"enum": ["open", "acknowledged", "resolved", "cleared"]}
    return {
        "/v1/alerts": _get(
            "Alerts in the caller's scope, newest first",
            [
                _query("status", status, "filter by status"),
                _query("project_id", {"type": "string"}, "filter by project"),
            ],
            401,
            403,
            422,
        ),
        "/v1/alerts/{alert_id}": _get(
            "An alert with its history and notification deliveries", [alert_id], 401, 403, 404
        ),
        "/v1/alerts/{alert_id}/acknowledge": action("Acknowledge an open alert"),
        "/v1/alerts/{alert_id}/resolve": action("Resolve an open or acknowledged alert"),
        "/v1/me/notification-preferences": {
            **_get("The caller's notification preferences", [], 401, 403),
            "put": {
                "summary": "Set channels (email, sms), addresses and quiet hours",
                "requestBody": {"required": True, **json_content(schema_of(PreferencesIn))},
                "responses": {
                    "200": {"description": "saved", **_OBJECT},
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
                    "200": {"description": "the profile now in force", **_OBJECT},
                    **error_responses(401, 403, 422),
                },
            }
        },
        "/v1/alert-rules": _get(
            "The alert thresholds of a region (versioned profile)",
            [_query("region", {"type": "string"}, "6-digit region code")],
            401,
            422,
        ),
    }

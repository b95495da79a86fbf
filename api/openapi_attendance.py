"""OpenAPI paths of the attendance endpoints."""

from __future__ import annotations

from typing import Any

from api.openapi_parts import (
    MONTH_PARAM,
    PROJECT_PARAM,
    WORKER_ID_PARAM,
    get_operation,
    query_param,
)


def attendance_paths() -> dict[str, Any]:
    day = {"type": "string", "format": "date"}
    return {
        "/v1/workers/{worker_id}/attendance": get_operation(
            "考勤日历: the worker's attendance days of a month",
            [WORKER_ID_PARAM, MONTH_PARAM],
            401,
            403,
            404,
            422,
        ),
        "/v1/workers/{worker_id}/attendance/{day}": get_operation(
            "考勤详情: the worker's passes of one day with capture photos",
            [WORKER_ID_PARAM, {"name": "day", "in": "path", "required": True, "schema": day}],
            401,
            403,
            404,
            422,
        ),
        "/v1/projects/{project_id}/attendance": get_operation(
            "Workers present, person-days, time on site and attendance rate",
            [
                PROJECT_PARAM,
                query_param("from", day, "first day (default: the 1st of this month)"),
                query_param("to", day, "last day (default: today); at most 366 days"),
                query_param("period", {"enum": ["day", "week", "month"]}, "default day"),
                query_param("group", {"enum": ["none", "team", "trade"]}, "default none"),
            ],
            401,
            403,
            404,
            422,
        ),
        "/v1/projects/{project_id}/attendance/update-rate": get_operation(
            "考勤更新率: roster workers with attendance in the last N days",
            [
                PROJECT_PARAM,
                query_param(
                    "days", {"type": "integer", "minimum": 1, "maximum": 366}, "default 30"
                ),
            ],
            401,
            403,
            404,
            422,
        ),
        "/v1/projects/{project_id}/key-positions/presence": get_operation(
            "关键岗位到岗率 of a month", [PROJECT_PARAM, MONTH_PARAM], 401, 403, 404, 422
        ),
        "/v1/projects/{project_id}/presence": get_operation(
            "Who is on site now: headcount by team and trade", [PROJECT_PARAM], 401, 403, 404
        ),
        "/v1/overview": get_operation(
            "Every visible project's roster, headcount now and figures of the day",
            [
                query_param("day", day, "default today (Beijing)"),
                query_param("project_id", {"type": "string"}, "only this project"),
            ],
            401,
            403,
            422,
        ),
    }

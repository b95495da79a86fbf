"""Building blocks of the OpenAPI document: shared schemas, parameters and responses."""

from __future__ import annotations

from typing import Any

PROBLEM_SCHEMA = {
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


def json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def error_responses(*codes: int) -> dict[str, Any]:
    described = {
        401: "not authenticated",
        403: "outside the caller's role or scope",
        404: "not found (or not visible)",
        409: "conflicts with current state",
        413: "the request body is larger than the configured limit",
        422: "invalid input: every problem with field, reason and Chinese message",
        429: "too many failed logins for the account or from the address (Retry-After)",
        503: "a dependency is not available now (face models not installed, say)",
    }
    return {
        str(code): {
            "description": described[code],
            **json_content({"$ref": "#/components/schemas/Problem"}),
        }
        for code in codes
    }


WORKER_ID_PARAM = {
    "name": "worker_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
}


def schema_of(model: Any) -> dict[str, Any]:
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


def query_param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


PROJECT_PARAM = {"name": "project_id", "in": "path", "required": True, "schema": {"type": "string"}}
MONTH_PARAM = query_param(
    "month", {"type": "string", "pattern": r"^\d{4}-\d{2}$"}, "YYYY-MM (default: this month)"
)
OBJECT_RESPONSE = json_content({"type": "object"})


def get_operation(summary: str, parameters: list[dict[str, Any]], *errors: int) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "parameters": parameters,
            "responses": {
                "200": {"description": summary, **OBJECT_RESPONSE},
                **error_responses(*errors),
            },
        }
    }

"""OpenAPI paths of face enrolment and capture snapshots."""

from __future__ import annotations

from typing import Any

from api.enrolment import EnrolmentIn, EnrolmentView
from api.openapi_parts import WORKER_ID_PARAM, error_responses, json_content, schema_of


def face_paths() -> dict[str, Any]:
    enrolment = json_content(schema_of(EnrolmentView))
    return {
        "/v1/workers/{worker_id}/face": {
            "put": {
                "summary": "Enrol (or re-enrol) a worker's face from 1 to 5 photos",
                "parameters": [WORKER_ID_PARAM],
                "requestBody": {"required": True, **json_content(schema_of(EnrolmentIn))},
                "responses": {
                    "200": {"description": "enrolled", **enrolment},
                    **error_responses(401, 403, 404, 409, 422, 503),
                },
            },
            "get": {
                "parameters": [WORKER_ID_PARAM],
                "responses": {
                    "200": {"description": "the enrolment (0 photos: none)", **enrolment},
                    **error_responses(401, 403, 404),
                },
            },
            "delete": {
                "parameters": [WORKER_ID_PARAM],
                "responses": {
                    "204": {"description": "removed; the worker no longer matches"},
                    **error_responses(401, 403, 404),
                },
            },
        },
        "/v1/snapshots/{ref}": {
            "get": {
                "summary": "A capture snapshot, e.g. P001/2026-11-21/G1_42.jpg",
                "parameters": [
                    {"name": "ref", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {
                        "description": "the JPEG",
                        "content": {
                            "image/jpeg": {"schema": {"type": "string", "format": "binary"}}
                        },
                    },
                    **error_responses(401, 404),
                },
            }
        },
    }

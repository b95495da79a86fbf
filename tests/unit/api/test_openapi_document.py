"""The OpenAPI document is generated from the routes: every route is in it, every refusal
is documented with the Problem body, and /docs works from local files only."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from api.app import ROUTERS, create_app

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture(scope="module")
def app() -> Any:
    from infra.settings import load_settings

    env = {"SITEPULSE_TOKEN_SECRET": "s" * 40, "SITEPULSE_DATA_KEY": "d" * 40}
    return create_app(load_settings(env))


@pytest.fixture(scope="module")
def document(app: Any) -> dict[str, Any]:
    return dict(app.openapi())


def test_every_route_is_in_the_document(app: Any, document: dict[str, Any]) -> None:
    routes = [route for router in ROUTERS for route in router.routes]
    assert len(routes) >= 60
    for route in routes:
        assert isinstance(route, APIRoute) and route.include_in_schema, route
        operations = document["paths"].get(route.path_format)
        assert operations is not None, f"{route.path} is not in the document"
        for method in (route.methods or set()) & METHODS:
            assert method.lower() in operations, f"{method} {route.path} is not in the document"


def test_every_operation_documents_its_refusals_with_the_problem_body(
    document: dict[str, Any],
) -> None:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for code in ("401", "413", "422", "503"):
                schema = responses[code]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}, (method, path, code)
            success = [code for code in responses if code.startswith("2")]
            assert success, (method, path)
    assert "HTTPValidationError" not in document["components"]["schemas"]


#: The ways in: a password, or the worker's live face (to log in or to reset a password).
LOGINS = {"/v1/auth/login", "/v1/auth/face-login", "/v1/auth/password-reset"}


def test_every_operation_but_the_logins_asks_for_a_bearer_token(
    document: dict[str, Any],
) -> None:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            wanted: list[dict[str, list[str]]] = [] if path in LOGINS else [{"bearer": []}]
            assert operation.get("security", []) == wanted, (method, path)


def test_request_bodies_are_the_models_the_routes_validate(document: dict[str, Any]) -> None:
    registration = document["paths"]["/v1/workers"]["post"]["requestBody"]
    schema = registration["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/RegistrationIn"}
    fields = document["components"]["schemas"]["RegistrationIn"]["properties"]
    assert {"name", "id_number", "project_id", "entry_date"} <= set(fields)


async def test_the_docs_page_loads_its_script_and_style_from_this_server(app: Any) -> None:
    transport = httpx.ASGITransport(app=app)
    client = httpx.AsyncClient(transport=transport, base_url="http://api")
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text and "https://" not in page.text
    for asset in ("/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css"):
        assert asset in page.text
        served = await client.get(asset)
        assert served.status_code == 200 and len(served.content) > 100_000
    await client.aclose()

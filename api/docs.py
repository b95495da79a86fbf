"""``/docs``: the interactive API documentation (Swagger UI), served from the files the
``fastapi-offline`` package carries, so the page works on a site with no internet."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

ASSETS = "/docs-assets"


def _asset_folder() -> Path:
    return Path(str(resources.files("fastapi_offline").joinpath("static")))


def add_docs(app: FastAPI) -> None:
    app.mount(ASSETS, StaticFiles(directory=_asset_folder()), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}/openapi.json",
            title="SitePulse API 接口文档",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
        )

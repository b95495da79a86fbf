"""What routes ask the framework for: the services of the app, the caller, a page.

Each is a FastAPI dependency, declared once and named by an ``Annotated`` alias, so a
route's signature says what it needs (``who: Caller, app: Services, page: Paging``)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Path, Query
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis
from starlette.requests import Request

from analytics.executor import ExecutorPool
from api.auth.account_states import AccountStates
from api.auth.login_guard import LoginGuard
from api.auth.principal import Principal
from api.auth.recent_proofs import RecentProofs
from api.auth.tokens import TokenIssuer
from api.payroll.sealing import DataSealer
from infra.errors import AuthenticationError, FieldProblem, ForbiddenError, InvalidInputError
from infra.settings import Settings
from infra.snapshots import SnapshotStore
from streams.faces.pipeline import FaceEngine


@dataclass(frozen=True)
class AppServices:
    """The long-lived clients of the API process, built once by ``create_app``."""

    settings: Settings
    pool: AsyncConnectionPool[Any]
    clickhouse: ExecutorPool
    redis: Redis
    tokens: TokenIssuer
    account_states: AccountStates
    login_guard: LoginGuard
    payroll_proofs: RecentProofs
    faces: FaceEngine
    snapshots: SnapshotStore
    sealer: DataSealer


def services_of(request: Request) -> AppServices:
    services: AppServices = request.app.state.services
    return services


Services = Annotated[AppServices, Depends(services_of)]

_bearer = HTTPBearer(auto_error=False, scheme_name="bearer")


def _principal(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise AuthenticationError("missing 'Authorization: Bearer <token>' header")
    return services_of(request).tokens.verify(credentials.credentials.strip())


def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller from ``Authorization: Bearer <token>``; 401 without one, 403 until the
    first-login password change is done."""
    who = _principal(request, credentials)
    if who.must_change_password:
        raise ForbiddenError("change the initial password first (POST /v1/auth/password)")
    return who


def caller_with_pending_password(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, even before the first-login password change (to make that change)."""
    return _principal(request, credentials)


Caller = Annotated[Principal, Depends(caller)]
PendingCaller = Annotated[Principal, Depends(caller_with_pending_password)]


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


def page(
    limit: Annotated[int, Query(ge=1, le=500, description="page size")] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31, description="rows to skip")] = 0,
) -> Page:
    return Page(limit, offset)


Paging = Annotated[Page, Depends(page)]


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key, f"{path}.{key}")
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}.{index}")


async def refuse_nul(request: Request) -> None:
    """PostgreSQL text cannot hold NUL characters: name the field instead of failing later."""
    found = [(f"query.{k}", v) for k, v in request.query_params.multi_items()]
    body = await request.body()
    if b"\\u0000" in body or b"\x00" in body:
        with contextlib.suppress(ValueError):  # not JSON: the body's validation says so
            found += list(_strings(json.loads(body), "body"))
    for path, text in found:
        if "\x00" in text:
            field = path.removeprefix("body.")
            raise InvalidInputError(
                [FieldProblem(field, "contains a NUL character", "包含非法字符")]
            )


#: A row id in a path (worker, team, alert...), within PostgreSQL's bigint.
RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]
#: A text id in a path (project, device), as the registry allows them.
TextId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]

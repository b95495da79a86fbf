"""Workers: register, list, read, correct and exit, each checked against the caller's scope;
and a new initial password for a worker who cannot log in."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from api.auth.access import can_access_worker
from api.auth.guards import actor_of, require_project_in_scope, require_registrar
from api.auth.principal import Principal, ScopeKind
from api.dependencies import Caller, Paging, RowId, Services
from api.envelopes import PageOf
from api.stores.accounts import issue_initial_password
from api.stores.audit import audit
from api.stores.workers import (
    CardIn,
    RegistrationIn,
    WorkerPatch,
    WorkerView,
    exit_project,
    get_worker,
    issue_card,
    register_worker,
    registration_of,
    search_workers,
    update_worker,
)
from infra.errors import FieldProblem, ForbiddenError, InvalidInputError, NotFoundError

router = APIRouter(tags=["workers"])


class Registered(BaseModel):
    worker: WorkerView
    created: bool
    active_elsewhere: list[str]


class WorkerExitIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    project_id: str = Field(min_length=1, max_length=64)
    exit_date: date
    reason: str = Field(default="", max_length=500)
    confirm: StrictBool = False


class InitialPassword(BaseModel):
    worker_id: int
    initial_password: str
    expires_at: datetime
    must_change_password: bool


async def visible_worker(app: Services, who: Principal, worker_id: int) -> None:
    """404 for a worker outside the caller's scope: no existence leaks."""
    async with app.pool.connection() as conn:
        if not await can_access_worker(conn, who, worker_id):
            raise NotFoundError(f"worker {worker_id} does not exist")


@router.post(
    "/v1/workers",
    status_code=201,
    response_model=Registered,
    responses={200: {"model": Registered, "description": "already registered; entered"}},
)
async def register(body: RegistrationIn, who: Caller, app: Services) -> JSONResponse:
    require_registrar(who, "register workers")
    registration = registration_of(body)
    if not registration.data.project_id:
        raise InvalidInputError([FieldProblem("project_id", "required", "项目编号必填")])
    async with app.pool.connection() as conn:
        await require_project_in_scope(conn, who, registration.data.project_id)
        outcome = await register_worker(conn, registration, actor=actor_of(who))
    registered = Registered(
        worker=outcome.worker, created=outcome.created, active_elsewhere=outcome.active_elsewhere
    )
    return JSONResponse(
        registered.model_dump(mode="json"), status_code=201 if outcome.created else 200
    )


@router.get("/v1/workers", response_model=PageOf[WorkerView])
async def list_workers(
    who: Caller,
    app: Services,
    page: Paging,
    project_id: Annotated[str | None, Query(max_length=64)] = None,
    name: Annotated[str | None, Query(max_length=64)] = None,
    id_suffix: Annotated[str | None, Query(max_length=16)] = None,
) -> PageOf[WorkerView]:
    if who.scope_kind is ScopeKind.WORKER:
        raise ForbiddenError("workers can see only their own record: GET /v1/workers/{id}")
    project_id = project_id or (who.scope_id if who.scope_kind is ScopeKind.PROJECT else None)
    if project_id is None:
        raise InvalidInputError([FieldProblem("project_id", "required", "项目编号必填")])
    async with app.pool.connection() as conn:
        await require_project_in_scope(conn, who, project_id)
        found = await search_workers(
            conn,
            project_id=project_id,
            name=name,
            id_suffix=id_suffix,
            limit=page.limit,
            offset=page.offset,
        )
    return PageOf[WorkerView](
        items=found.items, total=found.total, limit=found.limit, offset=found.offset
    )


@router.get("/v1/workers/{worker_id:int}", response_model=WorkerView)
async def show_worker(worker_id: RowId, who: Caller, app: Services) -> WorkerView:
    await visible_worker(app, who, worker_id)
    async with app.pool.connection() as conn:
        return await get_worker(conn, worker_id)


@router.patch("/v1/workers/{worker_id:int}", response_model=WorkerView)
async def patch_worker(
    worker_id: RowId, patch: WorkerPatch, who: Caller, app: Services
) -> WorkerView:
    require_registrar(who, "correct worker records")
    await visible_worker(app, who, worker_id)
    async with app.pool.connection() as conn:
        return await update_worker(conn, worker_id, patch, actor=actor_of(who))


@router.put("/v1/workers/{worker_id:int}/card", response_model=WorkerView)
async def put_worker_card(worker_id: RowId, card: CardIn, who: Caller, app: Services) -> WorkerView:
    """发卡: issue an access card to the worker (null takes it back); a card held by another
    worker is a 409. The project's terminals get the change on their next roster sync."""
    require_registrar(who, "issue access cards")
    await visible_worker(app, who, worker_id)
    async with app.pool.connection() as conn:
        return await issue_card(conn, worker_id, card, actor=actor_of(who))


@router.post("/v1/workers/{worker_id:int}/exit", response_model=WorkerView)
async def exit_worker(
    worker_id: RowId, body: WorkerExitIn, who: Caller, app: Services
) -> WorkerView:
    """退场: irreversible, so it needs ``confirm: true`` and a reason."""
    require_registrar(who, "record exits")
    async with app.pool.connection() as conn:
        await require_project_in_scope(conn, who, body.project_id)
        return await exit_project(
            conn,
            worker_id,
            body.project_id,
            body.exit_date,
            actor=actor_of(who),
            reason=body.reason,
            confirmed=body.confirm,
        )


@router.post(
    "/v1/workers/{worker_id:int}/initial-password",
    status_code=201,
    response_model=InitialPassword,
)
async def post_initial_password(worker_id: RowId, who: Caller, app: Services) -> InitialPassword:
    """A new initial password for a worker whose old one expired, was forgotten or locked:
    shown once to the officer, who hands it over; it must be changed at the next login.
    The worker's older tokens end and any lockout is lifted. Audited."""
    require_registrar(who, "issue initial passwords")
    await visible_worker(app, who, worker_id)
    lasts = timedelta(days=app.settings.initial_password_days)
    async with app.pool.connection() as conn, conn.transaction():
        issued = await issue_initial_password(conn, worker_id=worker_id, lasts=lasts)
        await audit(
            conn,
            actor=actor_of(who),
            action="user.initial_password",
            entity="worker",
            entity_id=str(worker_id),
        )
    app.account_states.forget(issued.user_id)
    await app.login_guard.unlock(issued.login)
    return InitialPassword(
        worker_id=worker_id,
        initial_password=issued.password,
        expires_at=issued.expires_at,
        must_change_password=True,
    )

"""Worker registration, listing, detail and exit, each checked against the caller's scope."""

from __future__ import annotations

from datetime import date, timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.access import can_access_worker
from api.accounts import issue_initial_password
from api.audit import audit
from api.contracts import ContractIn, add_contract, contracts_of
from api.guards import actor_of, path_id, require_project_in_scope, require_registrar
from api.http import handles_errors, json_object, principal_of
from api.login_guard import LoginGuard
from api.principal import ScopeKind
from api.projects import parse_model
from api.workers import (
    WorkerPatch,
    exit_project,
    get_worker,
    parse_registration,
    register_worker,
    search_workers,
    update_worker,
)
from infra.errors import FieldProblem, ForbiddenError, InvalidInputError, NotFoundError


async def register(request: Request) -> Response:
    who = principal_of(request)
    require_registrar(who, "register workers")
    registration = parse_registration(await json_object(request))
    if not registration.data.project_id:
        raise InvalidInputError([FieldProblem("project_id", "required", "项目编号必填")])
    async with request.app.state.pool.connection() as conn:
        await require_project_in_scope(conn, who, registration.data.project_id)
        outcome = await register_worker(conn, registration, actor=actor_of(who))
    body = {
        "worker": outcome.worker.model_dump(mode="json"),
        "created": outcome.created,
        "active_elsewhere": outcome.active_elsewhere,
    }
    return JSONResponse(body, status_code=201 if outcome.created else 200)


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()):
        raise InvalidInputError([FieldProblem(name, "must be a non-negative integer", "应为整数")])
    return int(raw)


async def list_workers(request: Request) -> Response:
    who = principal_of(request)
    if who.scope_kind is ScopeKind.WORKER:
        raise ForbiddenError("workers can see only their own record: GET /v1/workers/{id}")
    project_id = request.query_params.get("project_id") or (
        who.scope_id if who.scope_kind is ScopeKind.PROJECT else None
    )
    if project_id is None:
        raise InvalidInputError([FieldProblem("project_id", "required", "项目编号必填")])
    async with request.app.state.pool.connection() as conn:
        await require_project_in_scope(conn, who, project_id)
        page = await search_workers(
            conn,
            project_id=project_id,
            name=request.query_params.get("name"),
            id_suffix=request.query_params.get("id_suffix"),
            limit=_int_param(request, "limit", 50),
            offset=_int_param(request, "offset", 0),
        )
    return JSONResponse(
        {
            "items": [item.model_dump(mode="json") for item in page.items],
            "total": page.total,
            "limit": page.limit,
            "offset": page.offset,
        }
    )


async def show_worker(request: Request) -> Response:
    who = principal_of(request)
    worker_id = path_id(request, "worker_id", "worker")
    async with request.app.state.pool.connection() as conn:
        if not await can_access_worker(conn, who, worker_id):
            raise NotFoundError(f"worker {worker_id} does not exist")  # no existence leaks
        worker = await get_worker(conn, worker_id)
    return JSONResponse(worker.model_dump(mode="json"))


async def exit_worker(request: Request) -> Response:
    who = principal_of(request)
    require_registrar(who, "record exits")
    body = await json_object(request)
    project_id = body.get("project_id")
    raw_date = body.get("exit_date")
    if not isinstance(project_id, str) or not isinstance(raw_date, str):
        raise InvalidInputError(
            [
                FieldProblem(
                    "project_id", "project_id and exit_date required", "项目编号和退场日期必填"
                )
            ]
        )
    try:
        exit_date = date.fromisoformat(raw_date)
    except ValueError:
        raise InvalidInputError(
            [FieldProblem("exit_date", "must be YYYY-MM-DD", "退场日期格式应为 YYYY-MM-DD")]
        ) from None
    async with request.app.state.pool.connection() as conn:
        await require_project_in_scope(conn, who, project_id)
        worker = await exit_project(
            conn,
            path_id(request, "worker_id", "worker"),
            project_id,
            exit_date,
            actor=actor_of(who),
            reason=str(body.get("reason") or ""),
            confirmed=body.get("confirm") is True,
        )
    return JSONResponse(worker.model_dump(mode="json"))


async def post_contract(request: Request) -> Response:
    who = principal_of(request)
    require_registrar(who, "record labour contracts")
    contract: ContractIn = parse_model(ContractIn, await json_object(request))
    worker_id = path_id(request, "worker_id", "worker")
    async with request.app.state.pool.connection() as conn:
        await require_project_in_scope(conn, who, contract.project_id)
        created = await add_contract(conn, worker_id, contract, actor=actor_of(who))
    return JSONResponse(created.model_dump(mode="json"), status_code=201)


async def get_contracts(request: Request) -> Response:
    who = principal_of(request)
    worker_id = path_id(request, "worker_id", "worker")
    async with request.app.state.pool.connection() as conn:
        if not await can_access_worker(conn, who, worker_id):
            raise NotFoundError(f"worker {worker_id} does not exist")
        items = await contracts_of(conn, worker_id)
    return JSONResponse({"items": [item.model_dump(mode="json") for item in items]})


async def patch_worker(request: Request) -> Response:
    who = principal_of(request)
    require_registrar(who, "correct worker records")
    patch: WorkerPatch = parse_model(WorkerPatch, await json_object(request))
    worker_id = path_id(request, "worker_id", "worker")
    async with request.app.state.pool.connection() as conn:
        if not await can_access_worker(conn, who, worker_id):
            raise NotFoundError(f"worker {worker_id} does not exist")
        worker = await update_worker(conn, worker_id, patch, actor=actor_of(who))
    return JSONResponse(worker.model_dump(mode="json"))


async def post_initial_password(request: Request) -> Response:
    """A new initial password for a worker whose old one expired, was forgotten or locked:
    shown once to the officer, who hands it over; it must be changed at the next login.
    The worker's older tokens end and any lockout is lifted. Audited."""
    who = principal_of(request)
    require_registrar(who, "issue initial passwords")
    worker_id = path_id(request, "worker_id", "worker")
    days = request.app.state.settings.initial_password_days
    async with request.app.state.pool.connection() as conn:
        if not await can_access_worker(conn, who, worker_id):
            raise NotFoundError(f"worker {worker_id} does not exist")
        async with conn.transaction():
            issued = await issue_initial_password(
                conn, worker_id=worker_id, lasts=timedelta(days=days)
            )
            await audit(
                conn,
                actor=actor_of(who),
                action="user.initial_password",
                entity="worker",
                entity_id=str(worker_id),
            )
    request.app.state.account_states.forget(issued.user_id)
    guard: LoginGuard = request.app.state.login_guard
    await guard.unlock(issued.login)
    body = {
        "worker_id": worker_id,
        "initial_password": issued.password,
        "expires_at": issued.expires_at.isoformat(),
        "must_change_password": True,
    }
    return JSONResponse(body, status_code=201)


routes = [
    Route(
        "/v1/workers/{worker_id:int}/initial-password",
        handles_errors(post_initial_password),
        methods=["POST"],
    ),
    Route("/v1/workers/{worker_id:int}", handles_errors(patch_worker), methods=["PATCH"]),
    Route("/v1/workers/{worker_id:int}/contracts", handles_errors(post_contract), methods=["POST"]),
    Route("/v1/workers/{worker_id:int}/contracts", handles_errors(get_contracts), methods=["GET"]),
    Route("/v1/workers", handles_errors(register), methods=["POST"]),
    Route("/v1/workers", handles_errors(list_workers), methods=["GET"]),
    Route("/v1/workers/{worker_id:int}", handles_errors(show_worker), methods=["GET"]),
    Route("/v1/workers/{worker_id:int}/exit", handles_errors(exit_worker), methods=["POST"]),
]

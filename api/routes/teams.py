"""Teams (班组) of a project: create, list, rename, and exit a whole team at once."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from api.auth.guards import actor_of, require_registrar, require_visible_project
from api.auth.principal import ScopeKind
from api.dependencies import Caller, RowId, Services, TextId
from api.envelopes import Items
from api.stores.projects import (
    TeamIn,
    TeamPatch,
    TeamView,
    create_team,
    exit_team,
    list_teams,
    team_project,
    update_team,
)
from infra.errors import ForbiddenError

router = APIRouter(tags=["projects"])


class TeamExitIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    exit_date: date
    reason: str = Field(min_length=1, max_length=500)
    confirm: StrictBool = False


class TeamExited(BaseModel):
    team_id: int
    exited_workers: list[int]


@router.post("/v1/projects/{project_id}/teams", status_code=201, response_model=TeamView)
async def post_team(project_id: TextId, team: TeamIn, who: Caller, app: Services) -> TeamView:
    require_registrar(who, "change project rosters or devices")
    async with app.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)
        return await create_team(conn, project_id, team, actor=actor_of(who))


@router.get("/v1/projects/{project_id}/teams", response_model=Items[TeamView])
async def get_teams(project_id: TextId, who: Caller, app: Services) -> Items[TeamView]:
    if who.scope_kind is ScopeKind.WORKER:
        raise ForbiddenError("workers cannot list teams")
    async with app.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)
        return Items[TeamView](items=await list_teams(conn, project_id))


@router.patch("/v1/teams/{team_id:int}", response_model=TeamView)
async def patch_team(team_id: RowId, patch: TeamPatch, who: Caller, app: Services) -> TeamView:
    require_registrar(who, "change project rosters or devices")
    async with app.pool.connection() as conn:
        await require_visible_project(conn, who, await team_project(conn, team_id))
        return await update_team(conn, team_id, patch, actor=actor_of(who))


@router.post("/v1/teams/{team_id:int}/exit", response_model=TeamExited)
async def post_team_exit(
    team_id: RowId, body: TeamExitIn, who: Caller, app: Services
) -> TeamExited:
    """Exit every active member of the team on one date (irreversible: ``confirm: true``)."""
    require_registrar(who, "change project rosters or devices")
    async with app.pool.connection() as conn:
        await require_visible_project(conn, who, await team_project(conn, team_id))
        exited = await exit_team(
            conn,
            team_id,
            body.exit_date,
            actor=actor_of(who),
            reason=body.reason,
            confirmed=body.confirm,
        )
    return TeamExited(team_id=team_id, exited_workers=exited)

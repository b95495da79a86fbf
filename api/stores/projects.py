"""Projects and teams (班组) in the registry, and whole-team exit."""

from __future__ import annotations

from datetime import date
from typing import Any

from psycopg import AsyncConnection
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from api.auth.access import scope_filter
from api.auth.principal import Principal
from api.stores.audit import audit
from api.stores.patching import changed_fields, set_clause
from api.stores.rows import reading
from api.stores.workers import exit_project
from infra.errors import (
    ConfirmationRequiredError,
    ConflictError,
    FieldProblem,
    InvalidInputError,
    NotFoundError,
)
from streams.records import NEW_ID_PATTERN, problems_from

_PROJECT_COLUMNS = (
    "project_id, name, permit_number, region_code, address, latitude, longitude, geofence_m,"
    " start_date, planned_completion, briefing_date, status, pay_day"
)


class ProjectIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    project_id: str = Field(pattern=NEW_ID_PATTERN, max_length=64)
    name: str = Field(min_length=1, max_length=128)
    permit_number: str | None = Field(default=None, max_length=64)
    region_code: str = Field(pattern=r"^[1-9][0-9]{5}$")
    address: str = Field(default="", max_length=256)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    geofence_m: int | None = Field(default=None, ge=10, le=100_000)
    start_date: date | None = None
    planned_completion: date | None = None
    briefing_date: date | None = None
    status: str = Field(default="preparing", pattern=r"^(preparing|active|suspended|completed)$")
    pay_day: int | None = Field(
        default=None, ge=1, le=28, description="工资发放日: overrides the region's pay day"
    )

    @model_validator(mode="after")
    def _dates_in_order(self) -> ProjectIn:
        if (
            self.start_date
            and self.planned_completion
            and self.planned_completion < self.start_date
        ):
            raise ValueError("planned_completion must not be before start_date")
        return self


class ProjectPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=128)
    permit_number: str | None = Field(default=None, max_length=64)
    address: str | None = Field(default=None, max_length=256)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    geofence_m: int | None = Field(default=None, ge=10, le=100_000)
    start_date: date | None = None
    planned_completion: date | None = None
    briefing_date: date | None = None
    status: str | None = Field(default=None, pattern=r"^(preparing|active|suspended|completed)$")
    pay_day: int | None = Field(default=None, ge=1, le=28)


class ProjectView(ProjectIn):
    model_config = ConfigDict(extra="forbid")


class TeamIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    enterprise_id: int = Field(ge=1, lt=2**63)
    name: str = Field(min_length=1, max_length=64)
    kind: str = Field(pattern=r"^(management|labour)$")
    trade: str = Field(default="", max_length=64)


class TeamView(TeamIn):
    team_id: int
    project_id: str
    active_members: int = 0


def parse_model(model: type[BaseModel], payload: dict[str, Any]) -> Any:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise InvalidInputError(problems_from(exc)) from None


async def create_project(
    conn: AsyncConnection[Any], project: ProjectIn, *, actor: str
) -> ProjectView:
    async with conn.transaction():
        region = await conn.execute("SELECT 1 FROM regions WHERE code = %s", (project.region_code,))
        if await region.fetchone() is None:
            raise InvalidInputError(
                [FieldProblem("region_code", "unknown region", "行政区划不存在")]
            )
        values = project.model_dump()
        cursor = await reading(conn, ProjectView).execute(
            f"INSERT INTO projects ({_PROJECT_COLUMNS}) VALUES (%(project_id)s, %(name)s,"
            " %(permit_number)s, %(region_code)s, %(address)s, %(latitude)s, %(longitude)s,"
            " %(geofence_m)s, %(start_date)s, %(planned_completion)s, %(briefing_date)s,"
            f" %(status)s, %(pay_day)s) ON CONFLICT DO NOTHING RETURNING {_PROJECT_COLUMNS}",
            values,
        )
        row = await cursor.fetchone()
        if row is None:
            raise ConflictError(f"project {project.project_id!r} already exists")
        await audit(
            conn,
            actor=actor,
            action="project.create",
            entity="project",
            entity_id=project.project_id,
        )
    return row


_CLEARABLE_PROJECT_FIELDS = frozenset(
    {
        "permit_number",
        "latitude",
        "longitude",
        "geofence_m",
        "start_date",
        "planned_completion",
        "briefing_date",
        "pay_day",
    }
)


async def update_project(
    conn: AsyncConnection[Any], project_id: str, patch: ProjectPatch, *, actor: str
) -> ProjectView:
    changes = changed_fields(patch, clearable=_CLEARABLE_PROJECT_FIELDS)
    async with conn.transaction():
        current = await get_project(conn, project_id)
        merged = parse_model(ProjectIn, {**current.model_dump(), **changes})  # re-checks dates
        assignments = set_clause(changes)
        cursor = await reading(conn, ProjectView).execute(
            f"UPDATE projects SET {assignments} WHERE project_id = %(project_id)s"
            f" RETURNING {_PROJECT_COLUMNS}",
            {**changes, "project_id": merged.project_id},
        )
        row = await cursor.fetchone()
        assert row is not None
        await audit(
            conn,
            actor=actor,
            action="project.update",
            entity="project",
            entity_id=project_id,
            detail={"fields": sorted(changes)},
        )
    return row


async def list_projects(
    conn: AsyncConnection[Any], who: Principal, *, limit: int = 50, offset: int = 0
) -> tuple[list[ProjectView], int]:
    condition, params = scope_filter(who)
    counted = await conn.execute(f"SELECT count(*) FROM projects p WHERE {condition}", params)
    total = await counted.fetchone()
    cursor = await reading(conn, ProjectView).execute(
        f"SELECT {_PROJECT_COLUMNS} FROM projects p WHERE {condition}"
        " ORDER BY project_id LIMIT %s OFFSET %s",
        [*params, limit, offset],
    )
    return await cursor.fetchall(), int(total[0]) if total else 0


async def every_visible_project(conn: AsyncConnection[Any], who: Principal) -> list[ProjectView]:
    """All the projects in the principal's scope (a region holds thousands, not millions)."""
    condition, params = scope_filter(who)
    cursor = await reading(conn, ProjectView).execute(
        f"SELECT {_PROJECT_COLUMNS} FROM projects p WHERE {condition} ORDER BY project_id",
        params,
    )
    return await cursor.fetchall()


async def get_project(conn: AsyncConnection[Any], project_id: str) -> ProjectView:
    cursor = await reading(conn, ProjectView).execute(
        f"SELECT {_PROJECT_COLUMNS} FROM projects WHERE project_id = %s", (project_id,)
    )
    row = await cursor.fetchone()
    if row is None:
        raise NotFoundError(f"project {project_id!r} does not exist")
    return row


async def create_team(
    conn: AsyncConnection[Any], project_id: str, team: TeamIn, *, actor: str
) -> TeamView:
    async with conn.transaction():
        taking_part = await conn.execute(
            "SELECT 1 FROM project_enterprises WHERE project_id = %s AND enterprise_id = %s",
            (project_id, team.enterprise_id),
        )
        if await taking_part.fetchone() is None:
            problem = FieldProblem(
                "enterprise_id",
                "enterprise does not take part in the project",
                "该企业未参建此项目",
            )
            raise InvalidInputError([problem])
        cursor = await conn.execute(
            "INSERT INTO teams (project_id, enterprise_id, name, kind, trade)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING team_id",
            (project_id, team.enterprise_id, team.name, team.kind, team.trade),
        )
        row = await cursor.fetchone()
        if row is None:
            raise ConflictError(f"project {project_id} already has a team named {team.name!r}")
        await audit(
            conn,
            actor=actor,
            action="team.create",
            entity="team",
            entity_id=str(row[0]),
            detail={"project_id": project_id},
        )
    return TeamView(team_id=int(row[0]), project_id=project_id, **team.model_dump())


async def list_teams(conn: AsyncConnection[Any], project_id: str) -> list[TeamView]:
    cursor = await conn.execute(
        "SELECT t.team_id, t.project_id, t.enterprise_id, t.name, t.kind, t.trade,"
        " (SELECT count(*) FROM memberships m WHERE m.team_id = t.team_id AND m.status = 'active')"
        " FROM teams t WHERE t.project_id = %s ORDER BY t.team_id",
        (project_id,),
    )
    return [
        TeamView(
            team_id=r[0],
            project_id=r[1],
            enterprise_id=r[2],
            name=r[3],
            kind=r[4],
            trade=r[5],
            active_members=r[6],
        )
        for r in await cursor.fetchall()
    ]


async def team_project(conn: AsyncConnection[Any], team_id: int) -> str:
    cursor = await conn.execute("SELECT project_id FROM teams WHERE team_id = %s", (team_id,))
    row = await cursor.fetchone()
    if row is None:
        raise NotFoundError(f"team {team_id} does not exist")
    return str(row[0])


async def exit_team(
    conn: AsyncConnection[Any],
    team_id: int,
    exit_date: date,
    *,
    actor: str,
    reason: str,
    confirmed: bool,
) -> list[int]:
    """Whole-team exit (整班组退场): every active member leaves the project, in one transaction."""
    if not confirmed:
        raise ConfirmationRequiredError("a whole-team exit is irreversible: confirm it explicitly")
    project_id = await team_project(conn, team_id)
    async with conn.transaction():
        cursor = await conn.execute(
            "SELECT worker_id FROM memberships WHERE team_id = %s AND status = 'active'"
            " ORDER BY worker_id FOR UPDATE",
            (team_id,),
        )
        workers = [int(row[0]) for row in await cursor.fetchall()]
        for worker_id in workers:
            await exit_project(
                conn, worker_id, project_id, exit_date, actor=actor, reason=reason, confirmed=True
            )
        await audit(
            conn,
            actor=actor,
            action="team.exit",
            entity="team",
            entity_id=str(team_id),
            reason=reason,
            detail={"workers": len(workers)},
        )
    return workers


class TeamPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=64)
    trade: str | None = Field(default=None, max_length=64)


async def update_team(
    conn: AsyncConnection[Any], team_id: int, patch: TeamPatch, *, actor: str
) -> TeamView:
    changes = changed_fields(patch)
    assignments = set_clause(changes)
    async with conn.transaction():
        cursor = await conn.execute(
            f"UPDATE teams SET {assignments} WHERE team_id = %(team_id)s"
            " AND NOT EXISTS (SELECT 1 FROM teams other WHERE other.project_id = teams.project_id"
            " AND other.name = %(name)s AND other.team_id <> teams.team_id)"
            " RETURNING team_id, project_id, enterprise_id, name, kind, trade",
            {"name": changes.get("name", ""), **changes, "team_id": team_id},
        )
        row = await cursor.fetchone()
        if row is None:
            raise ConflictError(f"team {team_id} cannot take that name in its project")
        await audit(
            conn,
            actor=actor,
            action="team.update",
            entity="team",
            entity_id=str(team_id),
            detail={"fields": sorted(changes)},
        )
    return TeamView(
        team_id=row[0],
        project_id=row[1],
        enterprise_id=row[2],
        name=row[3],
        kind=row[4],
        trade=row[5],
    )

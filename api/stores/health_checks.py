"""Health checks (健康体检): the only writer of ``health_institutions`` and
``health_checks``. A regulator lists the institutions of their region; a worker records
where and when they were examined, choosing a listed institution or typing another."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from psycopg import AsyncConnection
from pydantic import BaseModel, ConfigDict, Field

from api.mobile.region_duties import health_check_regions
from api.stores.audit import audit
from api.stores.rows import reading
from infra.errors import ConflictError, FieldProblem, InvalidInputError
from streams.regions import region_prefix

#: A record older than this is no longer a health check of the worker (three years).
OLDEST_DAYS = 3 * 366


class Conclusion(StrEnum):
    FIT = "fit"  # 合格
    UNFIT = "unfit"  # 不合格


class InstitutionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    region_code: str = Field(pattern=r"^[1-9][0-9]{5}$", description="the region it serves")
    name: str = Field(min_length=1, max_length=64)


class Institution(BaseModel):
    institution_id: int
    region_prefix: str
    name: str


class HealthCheckIn(BaseModel):
    """A listed institution (``institution_id``) or another one typed (``other_institution``,
    其他体检机构), exactly one of them."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    institution_id: int | None = Field(default=None, ge=1, lt=2**63)
    other_institution: str | None = Field(default=None, min_length=1, max_length=64)
    examined_on: date
    conclusion: Conclusion


class HealthCheck(BaseModel):
    check_id: int
    institution_id: int | None
    institution_name: str
    examined_on: date
    conclusion: Conclusion
    recorded_at: datetime


class _WorkersCheck(HealthCheck):
    worker_id: int


_CHECK = "check_id, institution_id, institution_name, examined_on, conclusion, recorded_at"
# The worker's active projects in regions that ask for a health check.
_ASKING = (
    "SELECT p.region_code FROM memberships m JOIN projects p ON p.project_id = m.project_id"
    " WHERE m.worker_id = %(w)s AND m.status = 'active' AND p.region_code LIKE ANY (%(regions)s)"
)


def _params(worker_id: int) -> dict[str, Any]:
    return {"w": worker_id, "regions": [prefix + "%" for prefix in health_check_regions()]}


async def add_institution(
    conn: AsyncConnection[Any], listing: InstitutionIn, *, actor: str
) -> Institution:
    """List ``listing.name`` for the projects of its region (a region the registry knows)."""
    known = await conn.execute("SELECT 1 FROM regions WHERE code = %s", (listing.region_code,))
    if await known.fetchone() is None:
        raise _refused("region_code", "unknown region", "行政区划不存在")
    name = listing.name
    cursor = await reading(conn, Institution).execute(
        "INSERT INTO health_institutions (region_prefix, name) VALUES (%s, %s)"
        " ON CONFLICT DO NOTHING RETURNING institution_id, region_prefix, name",
        (region_prefix(listing.region_code), name),
    )
    added = await cursor.fetchone()
    if added is None:
        raise ConflictError(f"{name!r} is already listed", message_zh="该体检机构已在列表中")
    await audit(
        conn,
        actor=actor,
        action="health_institution.add",
        entity="health_institution",
        entity_id=str(added.institution_id),
    )
    return added


async def institutions_under(conn: AsyncConnection[Any], region_prefix: str) -> list[Institution]:
    """The institutions listed for ``region_prefix`` and every region inside it."""
    cursor = await reading(conn, Institution).execute(
        "SELECT institution_id, region_prefix, name FROM health_institutions"
        " WHERE region_prefix LIKE %s ORDER BY region_prefix, name",
        (region_prefix + "%",),
    )
    return await cursor.fetchall()


async def asked_of(conn: AsyncConnection[Any], worker_id: int) -> bool:
    """Whether a project the worker is on asks for a health check."""
    cursor = await conn.execute(_ASKING + " LIMIT 1", _params(worker_id))
    return await cursor.fetchone() is not None


async def institutions_for(conn: AsyncConnection[Any], worker_id: int) -> list[Institution]:
    """The institutions serving the regions of the worker's projects that ask."""
    cursor = await reading(conn, Institution).execute(
        "SELECT institution_id, region_prefix, name FROM health_institutions i"
        f" WHERE EXISTS (SELECT 1 FROM ({_ASKING}) mine"
        "  WHERE mine.region_code LIKE i.region_prefix || '%%') ORDER BY name",
        _params(worker_id),
    )
    return await cursor.fetchall()


async def latest_check(conn: AsyncConnection[Any], worker_id: int) -> HealthCheck | None:
    cursor = await reading(conn, HealthCheck).execute(
        f"SELECT {_CHECK} FROM health_checks WHERE worker_id = %s ORDER BY check_id DESC LIMIT 1",
        (worker_id,),
    )
    return await cursor.fetchone()


async def latest_checks(
    conn: AsyncConnection[Any], worker_ids: list[int]
) -> dict[int, HealthCheck]:
    """The latest check of each of ``worker_ids`` that has one."""
    cursor = await reading(conn, _WorkersCheck).execute(
        f"SELECT DISTINCT ON (worker_id) worker_id, {_CHECK} FROM health_checks"
        " WHERE worker_id = ANY (%s) ORDER BY worker_id, check_id DESC",
        (worker_ids,),
    )
    return {check.worker_id: check for check in await cursor.fetchall()}


async def record_check(
    conn: AsyncConnection[Any], worker_id: int, record: HealthCheckIn, *, today: date, actor: str
) -> HealthCheck:
    """Record a check of the worker; ``today`` is Beijing's date on the server."""
    if (record.institution_id is None) == (record.other_institution is None):
        reason = "give either institution_id or other_institution"
        raise _refused("institution_id", reason, "请选择一个体检机构，或填写其他体检机构")
    age = (today - record.examined_on).days
    if age < 0:
        raise _refused("examined_on", "is in the future", "体检日期不能晚于今天")
    if age > OLDEST_DAYS:
        raise _refused("examined_on", "is more than three years ago", "体检日期不能早于三年前")
    if record.institution_id is not None:
        listed = {i.institution_id: i.name for i in await institutions_for(conn, worker_id)}
        if record.institution_id not in listed:
            reason = "not an institution of your projects' regions"
            raise _refused("institution_id", reason, "体检机构不在列表中")
        name = listed[record.institution_id]
    else:
        assert record.other_institution is not None  # checked above
        name = record.other_institution
    cursor = await reading(conn, HealthCheck).execute(
        "INSERT INTO health_checks (worker_id, institution_id, institution_name, examined_on,"
        f" conclusion) VALUES (%s, %s, %s, %s, %s) RETURNING {_CHECK}",
        (worker_id, record.institution_id, name, record.examined_on, record.conclusion.value),
    )
    check = await cursor.fetchone()
    assert check is not None
    await audit(
        conn, actor=actor, action="health_check.record", entity="worker", entity_id=str(worker_id)
    )
    return check


def _refused(field: str, reason: str, message_zh: str) -> InvalidInputError:
    return InvalidInputError([FieldProblem(field, reason, message_zh)])

"""Worker registration (实名制登记), corrections, exit and search — on PostgreSQL.

Validation is strict and explains itself (:func:`parse_registration`); full ID numbers
and phones are stored but only ever returned masked; every write adds an audit row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import psycopg
from psycopg import AsyncConnection
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.identity import mask_id_number, mask_mobile, parse_resident_id, validate_mobile
from api.stores.audit import audit
from api.stores.memberships import (
    MembershipView,
    enter_project,
    memberships_of,
    record_membership,
    worker_memberships,
)
from api.stores.outbox import record_change
from api.stores.patching import changed_fields, set_clause
from infra.errors import (
    ConfirmationRequiredError,
    ConflictError,
    FieldProblem,
    InvalidInputError,
    NotFoundError,
)
from streams.records import problems_from


class RegistrationIn(BaseModel):
    """The body of a worker registration."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=64)
    id_number: str = Field(min_length=1, max_length=32)
    phone: str | None = None
    ethnicity: str = Field(default="", max_length=32)
    address: str = Field(default="", max_length=256)
    trade: str = Field(default="", max_length=64)
    project_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    team_id: int | None = Field(default=None, ge=1)
    entry_date: date | None = None


@dataclass(frozen=True)
class Registration:
    data: RegistrationIn
    id_number: str
    gender: str
    birth_date: date
    phone: str | None


def parse_registration(payload: dict[str, Any]) -> Registration:
    """Shape and meaning checked together: every problem is reported at once."""
    try:
        data = RegistrationIn.model_validate(payload)
    except ValidationError as exc:
        raise InvalidInputError(problems_from(exc)) from None
    return registration_of(data)


def registration_of(data: RegistrationIn) -> Registration:
    """The meaning of a well-shaped registration: a valid ID number and mobile, an entry
    date with a project. Every problem is reported at once."""
    problems: list[FieldProblem] = []
    resident = phone = None
    try:
        resident = parse_resident_id(data.id_number)
    except InvalidInputError as exc:
        problems += exc.problems
    if data.phone:
        try:
            phone = validate_mobile(data.phone)
        except InvalidInputError as exc:
            problems += exc.problems
    if data.project_id and data.entry_date is None:
        problems.append(FieldProblem("entry_date", "required with project_id", "进场日期必填"))
    if problems or resident is None:
        raise InvalidInputError(problems)
    return Registration(data, resident.number, resident.gender.value, resident.birth_date, phone)


class WorkerView(BaseModel):
    worker_id: int
    name: str
    id_number_masked: str
    gender: str
    birth_date: date
    phone_masked: str | None
    trade: str
    card_number: str | None = Field(default=None, description="the access card issued (发卡)")
    memberships: list[MembershipView] = []


@dataclass
class RegistrationOutcome:
    worker: WorkerView
    created: bool
    active_elsewhere: list[str] = field(default_factory=list)


WORKER_COLUMNS = "worker_id, name, id_number, gender, birth_date, phone, trade, card_number"


def _view(row: tuple[Any, ...], memberships: list[MembershipView]) -> WorkerView:
    worker_id, name, id_number, gender, birth_date, phone, trade, card_number = row
    return WorkerView(
        worker_id=worker_id,
        name=name,
        id_number_masked=mask_id_number(id_number),
        gender=gender,
        birth_date=birth_date,
        phone_masked=mask_mobile(phone) if phone else None,
        trade=trade,
        card_number=card_number,
        memberships=memberships,
    )


async def register_worker(
    conn: AsyncConnection[Any], registration: Registration, *, actor: str, reason: str = ""
) -> RegistrationOutcome:
    """Register a worker, or find the one with this ID number, and enter the project.

    An ID number already registered is the same person: no second record is created, and
    the outcome says which other projects they are active in (duplicate detection).
    """
    data = registration.data
    async with conn.transaction():
        cursor = await conn.execute(
            f"SELECT {WORKER_COLUMNS} FROM workers WHERE id_number = %s FOR UPDATE",
            (registration.id_number,),
        )
        row = await cursor.fetchone()
        created = row is None
        if row is None:
            cursor = await conn.execute(
                "INSERT INTO workers (id_number, name, gender, birth_date, ethnicity, address,"
                " phone, trade) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                f" RETURNING {WORKER_COLUMNS}",
                (
                    registration.id_number,
                    data.name,
                    registration.gender,
                    registration.birth_date,
                    data.ethnicity,
                    data.address,
                    registration.phone,
                    data.trade,
                ),
            )
            row = await cursor.fetchone()
            assert row is not None
            await audit(
                conn,
                actor=actor,
                action="worker.register",
                entity="worker",
                entity_id=str(row[0]),
                reason=reason,
                detail={"id_number": mask_id_number(registration.id_number)},
            )
            await record_change(conn, "worker", str(row[0]), worker_state(row))
        worker_id = int(row[0])
        memberships = await worker_memberships(conn, worker_id)
        active_elsewhere = [
            m.project_id
            for m in memberships
            if m.status == "active" and m.project_id != data.project_id
        ]
        if data.project_id and data.entry_date:
            memberships = await enter_project(
                conn,
                worker_id,
                data.project_id,
                data.team_id,
                data.entry_date,
                actor=actor,
                reason=reason,
                memberships=memberships,
            )
    return RegistrationOutcome(_view(row, memberships), created, active_elsewhere)


def worker_state(row: tuple[Any, ...]) -> dict[str, Any]:
    """What the registry topic says about a worker: never the full ID number or phone."""
    view = _view(row, [])
    return view.model_dump(mode="json", exclude={"memberships", "phone_masked", "card_number"})


class WorkerPatch(BaseModel):
    """Fields a registrar may correct after registration; the ID number never changes."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=64)
    phone: str | None = None
    ethnicity: str | None = Field(default=None, max_length=32)
    address: str | None = Field(default=None, max_length=256)
    trade: str | None = Field(default=None, max_length=64)


async def update_worker(
    conn: AsyncConnection[Any], worker_id: int, patch: WorkerPatch, *, actor: str
) -> WorkerView:
    changes = changed_fields(patch, clearable=frozenset({"phone"}))
    if changes.get("phone") is not None:
        changes["phone"] = validate_mobile(changes["phone"])
    assignments = set_clause(changes)
    async with conn.transaction():
        cursor = await conn.execute(
            f"UPDATE workers SET {assignments}, updated_at = now() WHERE worker_id = %(worker_id)s"
            f" RETURNING {WORKER_COLUMNS}",
            {**changes, "worker_id": worker_id},
        )
        row = await cursor.fetchone()
        if row is None:
            raise NotFoundError(f"worker {worker_id} does not exist")
        await audit(
            conn,
            actor=actor,
            action="worker.update",
            entity="worker",
            entity_id=str(worker_id),
            detail={"fields": sorted(changes)},
        )
        await record_change(conn, "worker", str(worker_id), worker_state(row))
    return _view(row, await worker_memberships(conn, worker_id))


class CardIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    card_number: str | None = Field(
        pattern=r"^[0-9A-Za-z]{4,32}$",
        description="the card's number as the terminals read it; null takes the card back",
    )


async def issue_card(
    conn: AsyncConnection[Any], worker_id: int, card: CardIn, *, actor: str
) -> WorkerView:
    """发卡: give the worker this access card (or take it back); the project's terminals get
    it on their next roster sync."""
    async with conn.transaction():
        try:
            cursor = await conn.execute(
                "UPDATE workers SET card_number = %s, updated_at = now() WHERE worker_id = %s"
                f" RETURNING {WORKER_COLUMNS}",
                (card.card_number, worker_id),
            )
        except psycopg.errors.UniqueViolation:
            raise ConflictError(
                f"card {card.card_number} is already issued to another worker",
                message_zh="该卡号已发给其他工人，请先收回",
            ) from None
        row = await cursor.fetchone()
        if row is None:
            raise NotFoundError(f"worker {worker_id} does not exist")
        await audit(
            conn,
            actor=actor,
            action="worker.card_issue" if card.card_number else "worker.card_return",
            entity="worker",
            entity_id=str(worker_id),
            detail={"card_number": card.card_number},
        )
    return _view(row, await worker_memberships(conn, worker_id))


async def get_worker(conn: AsyncConnection[Any], worker_id: int) -> WorkerView:
    cursor = await conn.execute(
        f"SELECT {WORKER_COLUMNS} FROM workers WHERE worker_id = %s", (worker_id,)
    )
    row = await cursor.fetchone()
    if row is None:
        raise NotFoundError(f"worker {worker_id} does not exist")
    return _view(row, await worker_memberships(conn, worker_id))


async def exit_project(
    conn: AsyncConnection[Any],
    worker_id: int,
    project_id: str,
    exit_date: date,
    *,
    actor: str,
    reason: str,
    confirmed: bool,
) -> WorkerView:
    """退场: irreversible, so it needs ``confirmed=True`` and a reason."""
    if not confirmed:
        raise ConfirmationRequiredError("exiting a worker is irreversible: confirm it explicitly")
    if not reason.strip():
        raise InvalidInputError([FieldProblem("reason", "required for an exit", "退场原因必填")])
    async with conn.transaction():
        cursor = await conn.execute(
            "UPDATE memberships SET status = 'exited', exit_date = %s"
            " WHERE worker_id = %s AND project_id = %s AND status = 'active'"
            " AND entry_date <= %s RETURNING membership_id",
            (exit_date, worker_id, project_id, exit_date),
        )
        if await cursor.fetchone() is None:
            raise ConflictError(
                f"worker {worker_id} has no active registration in {project_id}"
                " that began on or before the exit date"
            )
        await audit(
            conn,
            actor=actor,
            action="membership.exit",
            entity="worker",
            entity_id=str(worker_id),
            reason=reason,
            detail={"project_id": project_id, "exit_date": exit_date.isoformat()},
        )
        worker = await get_worker(conn, worker_id)
        await record_membership(conn, worker_id, project_id, worker.memberships)
    return worker


@dataclass(frozen=True)
class Page:
    items: list[WorkerView]
    total: int
    limit: int
    offset: int


async def search_workers(
    conn: AsyncConnection[Any],
    *,
    project_id: str | None = None,
    name: str | None = None,
    id_suffix: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    """Workers filtered by project (active members), name fragment and ID-number suffix."""
    if not 1 <= limit <= 500 or offset < 0:
        raise InvalidInputError(
            [FieldProblem("limit", "limit 1-500, offset >= 0", "分页参数不正确")]
        )
    where: list[str] = ["TRUE"]
    params: list[str | int] = []
    if project_id:
        where.append(
            "EXISTS (SELECT 1 FROM memberships m WHERE m.worker_id = w.worker_id"
            " AND m.project_id = %s AND m.status = 'active')"
        )
        params.append(project_id)
    if name:
        where.append("w.name LIKE %s")
        literal = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params.append(f"%{literal}%")
    if id_suffix:
        suffix = id_suffix.strip().upper()
        if not 4 <= len(suffix) <= 6:
            raise InvalidInputError(
                [FieldProblem("id_suffix", "must be the last 4 to 6 characters", "证件号后4至6位")]
            )
        where.append("right(w.id_number, %s) = %s")
        params += [len(suffix), suffix]
    condition = " AND ".join(where)
    count = await (
        await conn.execute(f"SELECT count(*) FROM workers w WHERE {condition}", params)
    ).fetchone()
    cursor = await conn.execute(
        f"SELECT {WORKER_COLUMNS} FROM workers w WHERE {condition}"
        " ORDER BY w.worker_id LIMIT %s OFFSET %s",
        [*params, limit, offset],
    )
    rows = await cursor.fetchall()
    by_worker = await memberships_of(conn, [int(row[0]) for row in rows])
    items = [_view(row, by_worker.get(int(row[0]), [])) for row in rows]
    return Page(items, int(count[0]) if count else 0, limit, offset)

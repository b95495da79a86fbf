"""Worker registration, duplicate detection, entry and exit on the real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest
from psycopg import AsyncConnection

from api.identity import id_check_character
from api.stores.workers import (
    exit_project,
    parse_registration,
    register_worker,
    search_workers,
)
from infra.errors import (
    ConfirmationRequiredError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
)
from infra.settings import Settings


def new_id_number() -> str:
    """A valid synthetic ID number (one of ~15 million) that no other test uses."""
    entropy = uuid.uuid4().int
    born = date(1960, 1, 1) + timedelta(days=entropy % 15000)
    first17 = f"450702{born:%Y%m%d}{(entropy // 15000) % 1000:03d}"
    return first17 + id_check_character(first17)


def birth_date_of(id_number: str) -> date:
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


@pytest.fixture
async def conn(stack: Settings) -> AsyncIterator[AsyncConnection[Any]]:
    async with await AsyncConnection.connect(stack.postgres_dsn, autocommit=True) as connection:
        yield connection


async def new_project(conn: AsyncConnection[Any]) -> str:
    project_id = f"R{uuid.uuid4().hex[:8]}"
    await conn.execute(
        "INSERT INTO regions (code, name, level) VALUES ('450702', '钦南区', 'district')"
        " ON CONFLICT DO NOTHING"
    )
    await conn.execute(
        "INSERT INTO projects (project_id, name, region_code) VALUES (%s, %s, '450702')",
        (project_id, f"测试项目{project_id}"),
    )
    return project_id


def registration(id_number: str, project_id: str | None, **extra: Any) -> Any:
    payload = {
        "name": "张三",
        "id_number": id_number,
        "phone": "13812345678",
        "trade": "钢筋工",
        "project_id": project_id,
        "entry_date": "2026-11-01",
        **extra,
    }
    return parse_registration(payload)


async def test_register_enter_and_detect_duplicates_across_projects(
    conn: AsyncConnection[Any],
) -> None:
    first, second = await new_project(conn), await new_project(conn)
    id_number = new_id_number()

    outcome = await register_worker(conn, registration(id_number, first), actor="officer-1")
    assert outcome.created and outcome.active_elsewhere == []
    worker = outcome.worker
    assert worker.id_number_masked == id_number[:4] + "*" * 12 + id_number[-2:]
    assert worker.phone_masked == "138****5678"
    assert worker.gender == ("male" if int(id_number[16]) % 2 else "female")
    assert worker.birth_date == birth_date_of(id_number)
    assert [(m.project_id, m.status) for m in worker.memberships] == [(first, "active")]

    again = await register_worker(conn, registration(id_number, second), actor="officer-2")
    assert not again.created and again.worker.worker_id == worker.worker_id
    assert again.active_elsewhere == [first]  # the same person is already on another site

    with pytest.raises(ConflictError, match="already active"):
        await register_worker(conn, registration(id_number, first), actor="officer-1")

    rows = await (
        await conn.execute(
            "SELECT action, detail::text FROM audit_log WHERE entity = 'worker' AND entity_id = %s"
            " ORDER BY audit_id",
            (str(worker.worker_id),),
        )
    ).fetchall()
    assert [r[0] for r in rows] == ["worker.register", "membership.enter", "membership.enter"]
    assert all(id_number not in r[1] for r in rows)  # never the full ID number


async def test_bad_registrations_list_every_problem_and_write_nothing(
    conn: AsyncConnection[Any],
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_registration(
            {
                "name": "李四",
                "id_number": "110105194912310021",
                "phone": "12345",
                "project_id": "P1",
            }
        )
    assert {p.field for p in caught.value.problems} == {"id_number", "phone", "entry_date"}
    with pytest.raises(InvalidInputError) as caught:
        parse_registration({"id_number": new_id_number(), "shoe_size": 42})
    assert {p.field for p in caught.value.problems} == {"name", "shoe_size"}
    lost = new_id_number()
    with pytest.raises(NotFoundError, match="does not exist"):
        await register_worker(conn, registration(lost, "NO-SUCH-PROJECT"), actor="x")
    # The transaction rolled back: the worker was not created either.
    found = await conn.execute("SELECT count(*) FROM workers WHERE id_number = %s", (lost,))
    assert (await found.fetchone()) == (0,)


async def test_exit_is_confirmed_irreversible_and_allows_a_later_reentry(
    conn: AsyncConnection[Any],
) -> None:
    project = await new_project(conn)
    id_number = new_id_number()
    worker = (await register_worker(conn, registration(id_number, project), actor="o")).worker

    with pytest.raises(ConfirmationRequiredError):
        await exit_project(
            conn,
            worker.worker_id,
            project,
            date(2026, 11, 20),
            actor="o",
            reason="合同到期",
            confirmed=False,
        )
    with pytest.raises(InvalidInputError):
        await exit_project(
            conn,
            worker.worker_id,
            project,
            date(2026, 11, 20),
            actor="o",
            reason=" ",
            confirmed=True,
        )
    exited = await exit_project(
        conn,
        worker.worker_id,
        project,
        date(2026, 11, 20),
        actor="o",
        reason="合同到期",
        confirmed=True,
    )
    assert [(m.status, m.exit_date) for m in exited.memberships] == [("exited", date(2026, 11, 20))]
    with pytest.raises(ConflictError, match="no active registration"):
        await exit_project(
            conn,
            worker.worker_id,
            project,
            date(2026, 11, 21),
            actor="o",
            reason="重复",
            confirmed=True,
        )
    back = await register_worker(
        conn, registration(id_number, project, entry_date="2026-12-01"), actor="o"
    )
    assert [m.status for m in back.worker.memberships] == ["exited", "active"]


async def test_search_by_project_name_and_id_suffix_with_pages(
    conn: AsyncConnection[Any],
) -> None:
    project = await new_project(conn)
    numbers = [new_id_number() for _ in range(3)]
    for index, number in enumerate(numbers):
        await register_worker(conn, registration(number, project, name=f"王_{index}号"), actor="o")
    page = await search_workers(conn, project_id=project, limit=2)
    assert page.total == 3 and len(page.items) == 2
    rest = await search_workers(conn, project_id=project, limit=2, offset=2)
    assert len(rest.items) == 1
    by_suffix = await search_workers(conn, project_id=project, id_suffix=numbers[1][-6:])
    assert [w.id_number_masked[-2:] for w in by_suffix.items] == [numbers[1][-2:]]
    by_name = await search_workers(conn, project_id=project, name="王_1")
    assert [w.name for w in by_name.items] == ["王_1号"]  # "_" is literal, not a wildcard
    with pytest.raises(InvalidInputError):
        await search_workers(conn, id_suffix="12")


async def test_seed_loads_once_and_its_accounts_log_in(stack: Settings) -> None:
    from api.seed import DEMO_PASSWORD, build_sample, load_sample
    from api.stores.accounts import authenticate

    sample = build_sample(projects=2, workers=40, seed=99)
    first = load_sample(stack.postgres_dsn, sample)
    again = load_sample(stack.postgres_dsn, sample)
    assert first["memberships_added"] == 40 and again["memberships_added"] == 0
    async with await AsyncConnection.connect(stack.postgres_dsn, autocommit=True) as conn:
        officer = await authenticate(conn, "officer-p001", DEMO_PASSWORD)
        assert (officer.scope_id, officer.must_change_password) == ("P001", False)
        worker_id_number = sample.workers[0]["id_number"]
        worker = await authenticate(conn, worker_id_number, worker_id_number[-6:])
        assert worker.must_change_password  # the account appears at first login
        page = await search_workers(conn, project_id="P001", limit=500)
        assert page.total >= 20

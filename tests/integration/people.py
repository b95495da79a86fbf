"""Helpers for the people's API tests (the fixtures are in conftest.py)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from psycopg import AsyncConnection

from api.auth.principal import Role
from api.stores.accounts import create_user
from tests.golden import golden_photos

PASSWORD = "officer2026pw"


@dataclass
class Site:
    project_a: str
    project_b: str
    tokens: dict[str, str]
    enterprise_id: int = 0
    logins: dict[str, str] = field(default_factory=dict)


async def login(http: httpx.AsyncClient, login: str, password: str) -> httpx.Response:
    return await http.post("/v1/auth/login", json={"login": login, "password": password})


async def staff_tokens(
    conn: AsyncConnection[Any], http: httpx.AsyncClient, staff: dict[str, tuple[Role, str]]
) -> dict[str, str]:
    """Create each login (role, scope) with :data:`PASSWORD`, ready to use, and log it in:
    login -> token."""
    for name, (role, scope) in staff.items():
        await create_user(
            conn,
            login=name,
            password=PASSWORD,
            role=role,
            scope_id=scope,
            must_change_password=False,
        )
    tokens = {}
    for name in staff:
        response = await login(http, name, PASSWORD)
        assert response.status_code == 200, response.text
        tokens[name] = response.json()["token"]
    return tokens


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def worker_body(id_number: str, project_id: str) -> dict[str, Any]:
    return {
        "name": "韦小宝",
        "id_number": id_number,
        "phone": "13907710001",
        "project_id": project_id,
        "entry_date": "2026-11-02",
        "trade": "木工",
    }


async def worker_with_password(
    http: httpx.AsyncClient, officer: dict[str, str], project_id: str, id_number: str
) -> tuple[int, str, str]:
    """Register a worker, log in for the first time, set a password and accept the user
    agreement: (id, token, password)."""
    registered = await http.post(
        "/v1/workers", json=worker_body(id_number, project_id), headers=officer
    )
    assert registered.status_code == 201, registered.text
    first = await login(http, id_number, id_number[-6:])
    password = "gongren2026"
    changed = await http.post(
        "/v1/auth/password",
        headers=auth(first.json()["token"]),
        json={"old_password": id_number[-6:], "new_password": password},
    )
    assert changed.status_code == 200, changed.text
    token = changed.json()["token"]
    await accept_agreement(http, token)
    return int(registered.json()["worker"]["worker_id"]), token, password


async def accept_agreement(http: httpx.AsyncClient, token: str) -> None:
    """The user agreement accepted, as the app asks once (its page is tested on its own)."""
    terms = await http.get("/v1/me/agreement", headers=auth(token))
    accepted = await http.post(
        "/v1/me/agreement", json={"version": terms.json()["version"]}, headers=auth(token)
    )
    assert accepted.status_code == 200, accepted.text


async def register_worker(http: httpx.AsyncClient, officer: dict[str, str], project_id: str) -> int:
    """A new worker (fresh ID number) entered into ``project_id``; returns the worker id."""
    from .test_workers import new_id_number

    registered = await http.post(
        "/v1/workers", json=worker_body(new_id_number(), project_id), headers=officer
    )
    assert registered.status_code == 201, registered.text
    return int(registered.json()["worker"]["worker_id"])


async def exit_worker(
    http: httpx.AsyncClient, officer: dict[str, str], worker_id: int | str, project_id: str
) -> None:
    """退场 today (Beijing), confirmed."""
    from streams.local_time import BEIJING

    exited = await http.post(
        f"/v1/workers/{worker_id}/exit",
        json={
            "project_id": project_id,
            "exit_date": datetime.now(BEIJING).date().isoformat(),
            "reason": "合同到期",
            "confirm": True,
        },
        headers=officer,
    )
    assert exited.status_code == 200, exited.text


async def adopt_terminal(
    http: httpx.AsyncClient,
    officer: dict[str, str],
    project_id: str,
    protocol: str,
    serial: str,
    **more: object,
) -> str:
    """Check the terminal's serial is listed as unknown, register it in the project (its
    device id: ``<protocol>-<serial>``) and return the device id."""
    unknown = await http.get("/v1/unknown-devices", headers=officer)
    assert (protocol, serial) in {
        (d["protocol"], d["serial_number"]) for d in unknown.json()["items"]
    }
    device_id = f"{protocol}-{serial}"
    registered = await http.post(
        f"/v1/projects/{project_id}/devices",
        json={"device_id": device_id, "protocol": protocol, "serial_number": serial, **more},
        headers=officer,
    )
    assert registered.status_code == 201, registered.text
    return device_id


@dataclass(frozen=True)
class PhoneUser:
    """A worker who has set their password and whose face is enrolled (obama.jpg), as the
    worker's app needs for its face checks."""

    worker_id: int
    id_number: str
    token: str
    password: str


async def enrolled_phone_user(
    http: httpx.AsyncClient, officer: dict[str, str], project_id: str, id_number: str
) -> PhoneUser:
    worker_id, token, password = await worker_with_password(http, officer, project_id, id_number)
    face = base64.b64encode(golden_photos()["obama.jpg"].read_bytes()).decode()
    enrolled = await http.put(
        f"/v1/workers/{worker_id}/face",
        json={"project_id": project_id, "photos": [face]},
        headers=officer,
    )
    assert enrolled.status_code == 200, enrolled.text
    return PhoneUser(worker_id, id_number, token, password)

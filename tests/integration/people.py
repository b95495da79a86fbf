"""Helpers for the people's API tests (the fixtures are in conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

PASSWORD = "officer2026pw"


@dataclass
class Site:
    project_a: str
    project_b: str
    tokens: dict[str, str]
    enterprise_id: int = 0


async def login(http: httpx.AsyncClient, login: str, password: str) -> httpx.Response:
    return await http.post("/v1/auth/login", json={"login": login, "password": password})


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

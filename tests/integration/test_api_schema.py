"""Schemathesis against the live API's own OpenAPI document: no 5xx, and every response
documented (status code, content type, body schema)."""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path

import httpx
from psycopg import AsyncConnection

from api.accounts import create_user
from api.principal import Role
from infra.settings import Settings

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)


async def test_schemathesis_finds_no_server_error_and_no_undocumented_response(
    stack: Settings,
) -> None:
    run = uuid.uuid4().hex[:8]
    async with await AsyncConnection.connect(stack.postgres_dsn, autocommit=True) as conn:
        await conn.execute(
            "INSERT INTO regions (code, name, level) VALUES ('450702', '钦南区', 'district')"
            " ON CONFLICT DO NOTHING"
        )
        await conn.execute(
            "INSERT INTO projects (project_id, name, region_code) VALUES (%s, %s, '450702')",
            (f"S{run}", "接口测试项目"),
        )
        await create_user(
            conn,
            login=f"fuzz-{run}",
            password="fuzzing2026",
            scope_id=f"S{run}",
            role=Role.LABOUR_OFFICER,
            must_change_password=False,
        )
    base = f"http://{stack.bind_host}:{stack.api_port}"
    async with httpx.AsyncClient(base_url=base) as http:
        login = await http.post(
            "/v1/auth/login", json={"login": f"fuzz-{run}", "password": "fuzzing2026"}
        )
    token = login.json()["token"]
    st = Path(sys.executable).with_name("st")
    process = await asyncio.create_subprocess_exec(
        str(st),
        "run",
        f"{base}/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        "30",
        "--request-timeout",
        "10",
        "--generation-deterministic",
        "--header",
        f"Authorization: Bearer {token}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=300)
    report = output.decode(errors="replace")
    assert process.returncode == 0, report[-8000:]
    assert "passed" in report

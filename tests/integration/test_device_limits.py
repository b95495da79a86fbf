"""A device's own rate limit (429 with Retry-After past it, other devices untouched), and
moving a gate to another project (audited; its passes and roster follow it)."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import psycopg

from infra.settings import Settings
from ingest.signing import sign_headers

from .helpers import wait_until
from .people import Site, adopt_terminal, auth

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def test_a_device_past_its_rate_limit_is_told_to_wait(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    officer = auth(site.tokens["officer_a"])
    serial, calm = (f"DS-K1T341{uuid.uuid4().hex[:8].upper()}" for _ in range(2))
    base = f"http://{stack.bind_host}:{stack.ingest_port}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:

        async def beat(of: str) -> httpx.Response:
            at = datetime.now(SHANGHAI).isoformat(timespec="seconds")
            return await client.post(
                f"/isapi/{of}/events", json={"eventType": "heartBeat", "dateTime": at}
            )

        assert (await beat(serial)).status_code == 403
        assert (await beat(calm)).status_code == 403
        await adopt_terminal(
            http, officer, site.project_a, "hikvision", serial, requests_per_minute=5
        )
        await adopt_terminal(http, officer, site.project_a, "hikvision", calm)

        async def known() -> bool:
            return (await beat(serial)).status_code != 403

        await wait_until(known, stack.device_cache_ttl_s + 30)

        async def calm_known() -> bool:
            return (await beat(calm)).status_code != 403

        await wait_until(calm_known, stack.device_cache_ttl_s + 30)
        answers = [await beat(serial) for _ in range(12)]
        refused = [a for a in answers if a.status_code == 429]
        assert refused, [a.status_code for a in answers]  # 13 in a minute, 5 allowed
        assert 1 <= int(refused[0].headers["Retry-After"]) <= 60
        assert refused[0].json()["message_zh"] == "设备请求过于频繁，请稍后再试"
        assert (await beat(calm)).status_code == 200  # the limit is the device's own

    # A SitePulse gate registered with its own limit is held to it too.
    gate = f"G{uuid.uuid4().hex[:10]}"
    issued = await http.post(
        f"/v1/projects/{site.project_a}/devices",
        json={"device_id": gate, "requests_per_minute": 3},
        headers=officer,
    )
    assert issued.status_code == 201, issued.text
    secret = issued.json()["secret"]
    codes = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for _ in range(8):
            body = json.dumps({}).encode()
            headers = sign_headers(secret, gate, body, now=time.time())
            codes.append(
                (await client.post("/v1/heartbeats", content=body, headers=headers)).status_code
            )
    assert codes[:3] == [204, 204, 204] and 429 in codes


async def test_a_gate_moved_to_another_project_is_audited_and_follows(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    officer = auth(site.tokens["officer_a"])
    contractor = auth(site.tokens["contractor"])  # its enterprise works on A and on C
    project_c = f"C{uuid.uuid4().hex[:8]}"
    with psycopg.connect(stack.postgres_dsn) as conn:
        conn.execute(
            "INSERT INTO projects (project_id, name, region_code) VALUES (%s, %s, '450702')",
            (project_c, f"项目{project_c}"),
        )
        conn.execute(
            "INSERT INTO project_enterprises VALUES (%s, %s, 'general_contractor')",
            (project_c, site.enterprise_id),
        )
    gate = f"G{uuid.uuid4().hex[:10]}"
    issued = await http.post(
        f"/v1/projects/{site.project_a}/devices", json={"device_id": gate}, headers=officer
    )
    assert issued.status_code == 201
    # A labour officer of project A cannot take it to another project: it is not theirs.
    outside = await http.post(
        f"/v1/devices/{gate}/move",
        json={"project_id": project_c, "reason": "转场"},
        headers=officer,
    )
    assert outside.status_code == 403
    no_reason = await http.post(
        f"/v1/devices/{gate}/move", json={"project_id": project_c}, headers=contractor
    )
    assert no_reason.status_code == 422 and no_reason.json()["problems"][0]["field"] == "reason"
    moved = await http.post(
        f"/v1/devices/{gate}/move",
        json={"project_id": project_c, "reason": "设备转场至新项目"},
        headers=contractor,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json() == {
        "device_id": gate,
        "from_project_id": site.project_a,
        "project_id": project_c,
    }
    again = await http.post(
        f"/v1/devices/{gate}/move",
        json={"project_id": project_c, "reason": "again"},
        headers=contractor,
    )
    assert again.status_code == 409
    listed = await http.get(f"/v1/projects/{project_c}/devices", headers=contractor)
    assert gate in {d["device_id"] for d in listed.json()["items"]}
    with psycopg.connect(stack.postgres_dsn) as conn:
        row = conn.execute(
            "SELECT reason, detail->>'from', detail->>'to' FROM audit_log"
            " WHERE action = 'device.move' AND entity_id = %s",
            (gate,),
        ).fetchone()
    assert row == ("设备转场至新项目", site.project_a, project_c)

"""Nobody can switch the alarms off from the outside: thresholds are range-checked, one
project's failing evaluation skips only that project, dark gates hold attendance alerts
(for a while) instead of clearing them, and the regulated side's requests to suspend a
project or move its briefing date wait for a regulator."""

from __future__ import annotations

import re
import time
import uuid

import httpx
from psycopg import AsyncConnection
from redis import Redis

from infra.settings import Settings
from streams.channels import device_seen_key, presence_key

from .helpers import new_device, wait_until
from .people import Site, auth, worker_with_password
from .test_alerts import alerts_of, evaluate, record_old_attendance
from .test_workers import new_id_number


async def test_thresholds_out_of_range_are_refused_naming_the_rule(
    http: httpx.AsyncClient, site: Site
) -> None:
    regulator = auth(site.tokens["regulator_gx"])
    as_json = {**regulator, "content-type": "application/json"}
    for name, value in (
        ("update_rate_days", "1000000000000"),
        ("update_rate_min", "0"),
        ("device_offline_minutes", "-5"),
        ("unknown_faces_minutes", "1e999"),
        ("key_presence_min", "NaN"),
    ):
        body = f'{{"{name}": {value}}}'.encode()
        refused = await http.put("/v1/alert-rules/450702", content=body, headers=as_json)
        assert refused.status_code == 422, (body, refused.text)
        assert name in refused.json()["problems"][0]["reason"]
    ok = await http.put("/v1/alert-rules/450702", json={"update_rate_min": 0.9}, headers=regulator)
    assert ok.status_code == 200 and ok.json()["update_rate_min"] == 0.9
    assert (await http.put("/v1/alert-rules/450702", json={}, headers=regulator)).status_code == 200


def _celery_errors(stack: Settings) -> float:
    page = httpx.get(f"http://{stack.bind_host}:{stack.celery_metrics_port}/metrics").text
    found = re.search(
        r'sitepulse_errors_total\{kind="project_evaluation",service="alerts"\} ([0-9.e+]+)', page
    ) or re.search(
        r'sitepulse_errors_total\{service="alerts",kind="project_evaluation"\} ([0-9.e+]+)', page
    )
    return float(found.group(1)) if found else 0.0


async def test_a_failing_project_is_skipped_and_dark_gates_hold_alerts_with_the_reason(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    officer = site.tokens["officer_a"]
    await worker_with_password(http, auth(officer), site.project_a, new_id_number())
    record_old_attendance(stack, site.project_a, days_ago=8)
    device = new_device(stack, site.project_a)
    redis = Redis.from_url(stack.redis_url)
    seen = device_seen_key(stack.namespace)
    # A project sorted before ours whose live state is corrupt: its evaluation fails.
    broken = f"0bad{uuid.uuid4().hex[:6]}"
    async with await AsyncConnection.connect(stack.postgres_dsn, autocommit=True) as conn:
        await conn.execute(
            "INSERT INTO projects (project_id, name, region_code, status)"
            " VALUES (%s, '坏数据项目', '450702', 'active')",
            (broken,),
        )
    redis.set(presence_key(stack.namespace, broken), b"{not json")
    errors_before = _celery_errors(stack)

    redis.hset(seen, device.device_id, str(time.time()))
    evaluate(stack)
    alerts = await alerts_of(http, officer, site.project_a)
    low = alerts[f"attendance_update_rate_low|project:{site.project_a}"]
    assert low["status"] == "open" and low["held_reason"] is None
    await wait_until(lambda: _celery_errors(stack) > errors_before, timeout_s=10)

    redis.hset(seen, device.device_id, str(time.time() - 2 * 3600))  # dark for two hours
    evaluate(stack)
    alerts = await alerts_of(http, officer, site.project_a)
    held = alerts[f"attendance_update_rate_low|project:{site.project_a}"]
    assert held["status"] == "open"  # held, not 已消警
    assert "离线" in held["held_reason"]
    assert alerts[f"device_offline|device:{device.device_id}"]["status"] == "open"

    redis.hset(seen, device.device_id, str(time.time() - 80 * 3600))  # past the 72 h hold
    evaluate(stack)
    alerts = await alerts_of(http, officer, site.project_a)
    judged = alerts[f"attendance_update_rate_low|project:{site.project_a}"]
    assert judged["status"] == "open" and judged["held_reason"] is None
    redis.delete(presence_key(stack.namespace, broken))


async def test_suspending_or_moving_the_briefing_waits_for_a_regulator(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    contractor = auth(site.tokens["contractor"])
    regulator = auth(site.tokens["regulator_gx"])
    project = f"/v1/projects/{site.project_a}"
    asked = await http.patch(
        project,
        json={"status": "suspended", "address": "钦州市钦南区", "reason": "春节停工"},
        headers=contractor,
    )
    assert asked.status_code == 202, asked.text
    pending = asked.json()["pending_change_request"]
    assert pending["changes"] == {"status": "suspended"} and pending["status"] == "pending"
    assert asked.json()["address"] == "钦州市钦南区"  # the harmless part applied at once
    assert asked.json()["status"] != "suspended"
    again = await http.patch(project, json={"briefing_date": "2026-12-30"}, headers=contractor)
    assert again.status_code == 409  # one request at a time

    listed = await http.get(
        "/v1/project-change-requests", headers=auth(site.tokens["regulator_gx"])
    )
    assert pending["request_id"] in [item["request_id"] for item in listed.json()["items"]]
    decision = f"/v1/project-change-requests/{pending['request_id']}/decision"
    verdict = {"approve": True, "reason": "已核实停工报告"}
    outsider = await http.post(decision, json=verdict, headers=auth(site.tokens["regulator_bj"]))
    assert outsider.status_code == 404
    denied = await http.post(decision, json=verdict, headers=contractor)
    assert denied.status_code == 403
    missing = await http.post(
        decision, json={"approve": True}, headers=auth(site.tokens["regulator_gx"])
    )
    assert missing.status_code == 422
    approved = await http.post(decision, json=verdict, headers=regulator)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    now = await http.get(project, headers=contractor)
    assert now.json()["status"] == "suspended"
    again = await http.post(decision, json=verdict, headers=regulator)
    assert again.status_code == 409

    moved = await http.patch(project, json={"briefing_date": "2026-12-30"}, headers=contractor)
    assert moved.status_code == 202
    second = moved.json()["pending_change_request"]["request_id"]
    rejected = await http.post(
        f"/v1/project-change-requests/{second}/decision",
        json={"approve": False, "reason": "交底日期不得推迟"},
        headers=regulator,
    )
    assert rejected.json()["status"] == "rejected"
    assert (await http.get(project, headers=contractor)).json()["briefing_date"] != "2026-12-30"
    resumed = await http.patch(project, json={"status": "active"}, headers=contractor)
    assert resumed.status_code == 200 and resumed.json()["status"] == "active"
    async with await AsyncConnection.connect(stack.postgres_dsn, autocommit=True) as conn:
        cursor = await conn.execute(
            "SELECT action, reason FROM audit_log WHERE entity = 'project' AND entity_id = %s"
            " AND action LIKE 'project.change%%' ORDER BY audit_id",
            (site.project_a,),
        )
        assert await cursor.fetchall() == [
            ("project.change_request", "春节停工"),
            ("project.change_approved", "已核实停工报告"),
            ("project.change_request", ""),
            ("project.change_rejected", "交底日期不得推迟"),
        ]

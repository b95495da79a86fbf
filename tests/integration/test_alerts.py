"""Alerts through the real stack: the Celery worker evaluates the rules against PostgreSQL,
ClickHouse and Redis, the lifecycle opens and clears alerts, people acknowledge and resolve
them over the API, and notifications go out once per transition (a failing webhook retried)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime, timedelta
from typing import Any

import httpx
from psycopg import AsyncConnection

from alerts.celery_app import create_celery
from analytics.attendance_sink import ATTENDANCE_COLUMNS, AttendanceRecord
from analytics.clickhouse import connect
from analytics.executor import DriverExecutor
from infra.settings import Settings
from ingest.signing import sign_headers
from realtime.client import LiveSubscriber
from streams.attendance.timeline import AttendanceDay
from streams.local_time import BEIJING

from .conftest import WEBHOOK_SECRET
from .helpers import new_device, pass_item, post_passes, wait_until
from .people import Site, auth, worker_with_password
from .receiver import Mailbox, WebhookReceiver
from .test_workers import new_id_number


def record_old_attendance(stack: Settings, project_id: str, *, days_ago: int) -> None:
    """A recorded attendance day of another worker, so the project's history is long
    enough for "not seen for 7 days" to mean something."""
    day = datetime.now(BEIJING).date() - timedelta(days=days_ago)
    figures = AttendanceDay(day, None, None, 0, 1, 1, 0, frozenset(), False)
    row = AttendanceRecord(project_id, "W-OLD", "", "", figures, 1).row()
    DriverExecutor(connect(stack.clickhouse_url)).insert(
        "attendance_days", ATTENDANCE_COLUMNS, [row]
    )


def record_attendance_today(stack: Settings, project_id: str, worker_id: str) -> None:
    day = datetime.now(BEIJING).date()
    figures = AttendanceDay(day, None, None, 0, 1, 1, 0, frozenset(), False)
    row = AttendanceRecord(project_id, worker_id, "", "", figures, 1).row()
    DriverExecutor(connect(stack.clickhouse_url)).insert(
        "attendance_days", ATTENDANCE_COLUMNS, [row]
    )


def evaluate(stack: Settings) -> list[list[Any]]:
    """Run the scheduled evaluation now, on the stack's real Celery worker."""
    result = create_celery(stack).send_task("alerts.evaluate")
    return list(result.get(timeout=120))


async def alerts_of(http: httpx.AsyncClient, token: str, project: str) -> dict[str, dict[str, Any]]:
    response = await http.get(f"/v1/alerts?project_id={project}", headers=auth(token))
    assert response.status_code == 200, response.text
    return {f"{a['rule']}|{a['subject']}": a for a in response.json()["items"]}


async def heartbeat(stack: Settings, device_id: str, secret: str) -> None:
    body = json.dumps({"firmware": "v2.1", "backlog": 0}).encode()
    headers = sign_headers(secret, device_id, body, now=time.time())
    url = f"http://{stack.bind_host}:{stack.ingest_port}/v1/heartbeats"
    async with httpx.AsyncClient() as client:
        response = await client.post(url, content=body, headers=headers)
    assert response.status_code == 204, response.text


async def test_offline_gates_suppress_attendance_rules_then_alerts_open_clear_and_notify(
    stack: Settings, http: httpx.AsyncClient, site: Site, webhooks: WebhookReceiver
) -> None:
    officer = site.tokens["officer_a"]
    worker, worker_token, _ = await worker_with_password(
        http, auth(officer), site.project_a, new_id_number()
    )
    device = new_device(stack, site.project_a)
    webhooks.fail_first_for = site.project_a  # the receiver is down for the first delivery
    record_old_attendance(stack, site.project_a, days_ago=8)  # records go back far enough

    evaluate(stack)
    alerts = await alerts_of(http, officer, site.project_a)
    offline = alerts[f"device_offline|device:{device.device_id}"]
    assert offline["status"] == "open" and "离线" in offline["message_zh"]
    # The only gate is offline: the roster has no attendance, but that is not judged now.
    assert not any(key.startswith("attendance_update_rate_low") for key in alerts)
    mine = {alert["alert_id"] for alert in alerts.values()}
    assert not mine & {alert_id for alert_id, _ in evaluate(stack)}  # same facts: no change

    await heartbeat(stack, device.device_id, device.secret)
    url = f"ws://{stack.bind_host}:{stack.realtime_port}/ws"
    async with LiveSubscriber(url, worker_token, f"worker:{worker}") as inbox:
        evaluate(stack)  # the gate is back: the worker's missing attendance is judged now
        await wait_until(lambda: any(m["type"] == "notification" for m in inbox.messages), 30)
    note = next(m for m in inbox.messages if m["type"] == "notification")
    assert "未考勤" in note["title_zh"] and note["project_id"] == site.project_a
    overview = await http.get("/v1/overview", headers=auth(site.tokens["regulator_gx"]))
    mine = {p["project_id"]: p for p in overview.json()["projects"]}[site.project_a]
    assert mine["open_alerts"] >= 2  # the update rate and the worker's missed exit
    alerts = await alerts_of(http, officer, site.project_a)
    assert alerts[f"missed_exit_procedure|worker:{worker}@{site.project_a}"]["status"] == "open"
    assert alerts[f"device_offline|device:{device.device_id}"]["status"] == "cleared"
    low = alerts[f"attendance_update_rate_low|project:{site.project_a}"]
    assert low["status"] == "open" and low["evidence"]["rate"] == 0.0

    detail = await http.get(f"/v1/alerts/{offline['alert_id']}", headers=auth(officer))
    assert [h["kind"] for h in detail.json()["history"]] == ["opened", "cleared"]

    def delivered() -> bool:
        sent = [r for r in webhooks.requests if r.status == 200]
        ids = {r.headers["x-sitepulse-delivery"] for r in sent}
        return {f"{offline['alert_id']}:opened", f"{offline['alert_id']}:cleared"} <= ids

    await wait_until(delivered, timeout_s=60)
    opened = [
        r
        for r in webhooks.requests
        if r.headers["x-sitepulse-delivery"] == f"{offline['alert_id']}:opened"
    ]
    assert [r.status for r in opened] == [500, 200]  # retried once, delivered once
    signed = hmac.new(
        WEBHOOK_SECRET.encode(),
        f"{opened[1].headers['x-sitepulse-timestamp']}.".encode() + opened[1].body,
        hashlib.sha256,
    ).hexdigest()
    assert opened[1].headers["x-sitepulse-signature"] == signed
    assert json.loads(opened[1].body)["title_zh"].startswith("新告警")
    detail = await http.get(f"/v1/alerts/{offline['alert_id']}", headers=auth(officer))
    log = {(n["transition"], n["channel"]): n for n in detail.json()["notifications"]}
    assert log[("opened", "webhook")]["status"] == "sent"
    assert log[("opened", "webhook")]["attempts"] == 2
    assert log[("opened", "in_app")]["status"] == "sent"

    # People act on the open one; a cleared or resolved alert cannot be acknowledged.
    path = f"/v1/alerts/{low['alert_id']}"
    acked = await http.post(
        f"{path}/acknowledge", json={"note": "已通知班组"}, headers=auth(officer)
    )
    assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"
    resolved = await http.post(f"{path}/resolve", json={}, headers=auth(officer))
    assert resolved.status_code == 200 and resolved.json()["resolved_by"].startswith(
        "labour_officer"
    )
    again = await http.post(f"{path}/acknowledge", json={}, headers=auth(officer))
    assert again.status_code == 409
    other = await http.get(path, headers=auth(site.tokens["officer_b"]))
    assert other.status_code == 404
    evaluate(stack)  # the condition still holds, but a person resolved it for this window
    assert (await alerts_of(http, officer, site.project_a))[
        f"attendance_update_rate_low|project:{site.project_a}"
    ]["status"] == "resolved"


async def test_email_and_sms_follow_preferences_and_quiet_hours(
    stack: Settings,
    http: httpx.AsyncClient,
    site: Site,
    mailbox: Mailbox,
    sms_gateway: WebhookReceiver,
) -> None:
    officer, contractor = auth(site.tokens["officer_a"]), auth(site.tokens["contractor"])
    now = datetime.now(BEIJING)
    quiet = {  # an hour of quiet around now, for the officer only
        "quiet_start": (now - timedelta(minutes=30)).strftime("%H:%M"),
        "quiet_end": (now + timedelta(minutes=30)).strftime("%H:%M"),
    }
    officer_email = f"officer-{site.project_a.lower()}@example.cn"
    set_officer = await http.put(
        "/v1/me/notification-preferences",
        json={"channels": ["email"], "email": officer_email, **quiet},
        headers=officer,
    )
    assert set_officer.status_code == 200, set_officer.text
    contractor_email = f"boss-{site.project_a.lower()}@example.cn"
    set_contractor = await http.put(
        "/v1/me/notification-preferences",
        json={"channels": ["email", "sms"], "email": contractor_email, "phone": "13907710002"},
        headers=contractor,
    )
    assert set_contractor.json() == {
        "channels": ["email", "sms"],
        "email": contractor_email,
        "phone": "13907710002",
        "quiet_start": None,
        "quiet_end": None,
    }
    bad = await http.put(
        "/v1/me/notification-preferences", json={"channels": ["sms"]}, headers=officer
    )
    assert bad.status_code == 422 and "needs a phone" in bad.text

    device = new_device(stack, site.project_a)
    evaluate(stack)  # the new gate has never been seen: a device alert (a warning)
    await wait_until(lambda: len(mailbox.to(contractor_email)) >= 1, timeout_s=60)
    mail = mailbox.to(contractor_email)[0]
    assert device.device_id in mail["Subject"] and mail["Subject"].startswith("新告警")
    assert "项目：" in mail.get_content()
    await wait_until(
        lambda: any(r.body and b"13907710002" in r.body for r in sms_gateway.requests), 30
    )
    texts = [json.loads(r.body)["text"] for r in sms_gateway.requests if b"13907710002" in r.body]
    assert texts[0].startswith("【SitePulse】新告警")
    assert sms_gateway.requests[0].headers["authorization"] == "Bearer sms-test-key"
    assert mailbox.to(officer_email) == []  # in quiet hours: held until they end
    alerts = await alerts_of(http, site.tokens["officer_a"], site.project_a)
    alert_id = alerts[f"device_offline|device:{device.device_id}"]["alert_id"]
    detail = (await http.get(f"/v1/alerts/{alert_id}", headers=officer)).json()
    sent = {
        (n["channel"], n["recipient"]) for n in detail["notifications"] if n["status"] == "sent"
    }
    assert ("email", contractor_email) in sent and ("sms", "13907710002") in sent
    assert ("email", officer_email) not in sent


async def test_a_regulator_tunes_a_threshold_and_the_next_evaluation_uses_it(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    officer, regulator = site.tokens["officer_a"], auth(site.tokens["regulator_gx"])
    present, _, _ = await worker_with_password(http, auth(officer), site.project_a, new_id_number())
    await worker_with_password(http, auth(officer), site.project_a, new_id_number())
    record_attendance_today(stack, site.project_a, str(present))  # one of two: a rate of 50 %
    device = new_device(stack, site.project_a)
    await heartbeat(stack, device.device_id, device.secret)
    evaluate(stack)
    key = f"attendance_update_rate_low|project:{site.project_a}"
    assert (await alerts_of(http, officer, site.project_a))[key]["status"] == "open"
    district = "/v1/alert-rules/450702"
    lower = {"update_rate_min": 0.4}  # (0 is refused: it would switch the warning off)
    assert (await http.put(district, json=lower, headers=auth(officer))).status_code == 403
    beijing = auth(site.tokens["regulator_bj"])
    assert (await http.put(district, json=lower, headers=beijing)).status_code == 403
    wrong = await http.put(district, json={"update_rate_min": "low"}, headers=regulator)
    assert wrong.status_code == 422 and "update_rate_min" in wrong.text
    try:
        tuned = await http.put(district, json=lower, headers=regulator)
        assert tuned.status_code == 200, tuned.text
        assert tuned.json()["update_rate_min"] == 0.4
        assert tuned.json()["version"] == "region-450702-v1"
        shown = await http.get("/v1/alert-rules?region=450702", headers=auth(officer))
        assert shown.json()["version"] == "region-450702-v1"
        evaluate(stack)
        assert (await alerts_of(http, officer, site.project_a))[key]["status"] == "cleared"
    finally:
        await http.put(district, json={}, headers=regulator)
    restored = await http.get("/v1/alert-rules?region=450702", headers=regulator)
    assert restored.json()["version"] == "2026.11-guangxi"


async def test_an_unknown_face_spike_opens_an_alert_from_the_stream(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    device = new_device(stack, site.project_a)
    strangers = [
        pass_item(
            n,
            worker_id=None,
            method="face",
            score=0.2,
            minutes_ago=1,
            snapshot_ref=f"{site.project_a}/2026-11-20/stranger-{n}.jpg",
        )
        for n in range(1, 7)
    ]
    assert (await post_passes(stack, device, strangers)).status_code == 202
    key = f"unknown_face_spike|device:{device.device_id}"

    async def raised() -> bool:  # by the streams worker: no evaluation is run here
        return key in await alerts_of(http, site.tokens["officer_a"], site.project_a)

    await wait_until(raised, timeout_s=30)
    alert = (await alerts_of(http, site.tokens["officer_a"], site.project_a))[key]
    assert alert["status"] == "open" and alert["evidence"]["count"] == 6
    assert len(alert["evidence"]["snapshots"]) == 6


async def test_an_alert_left_unacknowledged_is_escalated_to_the_regulator(
    stack: Settings, http: httpx.AsyncClient, site: Site, mailbox: Mailbox
) -> None:
    regulator = auth(site.tokens["regulator_gx"])
    address = f"regulator-{site.project_a.lower()}@example.cn"
    saved = await http.put(
        "/v1/me/notification-preferences",
        json={"channels": ["email"], "email": address},
        headers=regulator,
    )
    assert saved.status_code == 200, saved.text
    device = new_device(stack, site.project_a)
    evaluate(stack)
    alerts = await alerts_of(http, site.tokens["officer_a"], site.project_a)
    alert_id = alerts[f"device_offline|device:{device.device_id}"]["alert_id"]
    assert mailbox.to(address) == []  # a warning does not go to the regulator at first
    async with await AsyncConnection.connect(stack.postgres_dsn, autocommit=True) as conn:
        await conn.execute(  # as if opened two days ago and never acknowledged
            "UPDATE alerts SET opened_at = now() - interval '2 days' WHERE alert_id = %s",
            (alert_id,),
        )
    evaluate(stack)  # (the worker's own beat may get there first: the state is what counts)
    await wait_until(lambda: len(mailbox.to(address)) == 1, timeout_s=60)
    assert mailbox.to(address)[0]["Subject"].startswith("告警升级")
    detail = await http.get(f"/v1/alerts/{alert_id}", headers=regulator)
    assert [h["kind"] for h in detail.json()["history"]] == ["opened", "escalated"]
    assert [alert_id, "escalated"] not in evaluate(stack)  # escalated once

"""A Hikvision face terminal pushing ISAPI events, on the real stack: refused until
registered, a face pass with its picture reaches the live dashboard and ClickHouse once
however often it is sent, a stranger is kept with the picture and is nobody's pass, a
heartbeat marks the terminal seen, and an unreadable push is acknowledged and
dead-lettered."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from infra.redis_client import sync_redis
from infra.settings import Settings
from ingest.hikvision_client import HikvisionTerminal, access_event
from streams.channels import device_seen_key

from .chromium import log_in, until
from .helpers import dashboard, dead_letters_about, stored_event_ids, wait_until
from .people import PASSWORD, Site, adopt_terminal, auth, register_worker
from .test_alerts import alerts_of, evaluate

SHANGHAI = ZoneInfo("Asia/Shanghai")
JPEG = b"\xff\xd8\xff\xe0" + b"\x10JFIF" + b"\x00" * 64 + b"\xff\xd9"


async def test_a_hikvision_terminal_pushes_passes_strangers_and_heartbeats(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    serial = f"DS-K1T671M{uuid.uuid4().hex[:8].upper()}"
    officer = auth(site.tokens["officer_a"])
    worker = await register_worker(http, officer, site.project_a)
    base = f"http://{stack.bind_host}:{stack.ingest_port}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        terminal = HikvisionTerminal(client, serial)
        now = datetime.now(SHANGHAI).replace(microsecond=0) - timedelta(minutes=2)
        face = access_event(
            {"serial": 901, "occurred_at": now.isoformat(), "direction": "in", "worker_id": worker}
        )
        refused = await terminal.send(face, JPEG)
        assert refused.status_code == 403
        device = await adopt_terminal(
            http, officer, site.project_a, "hikvision", serial, vendor="Hikvision"
        )

        async def accepted() -> bool:
            return (await terminal.send(face, JPEG)).status_code == 200

        async with dashboard(stack, site.project_a) as live:
            await wait_until(accepted, stack.device_cache_ttl_s + 30)
            stranger = access_event(
                {"serial": 902, "occurred_at": now.isoformat(), "direction": "in"}
            )
            assert (await terminal.send(stranger, JPEG)).status_code == 200
            await wait_until(lambda: sum(m["type"] == "pass" for m in live.messages) >= 2, 30)
        passes = {m["event"]["event_id"]: m["event"] for m in live.messages if m["type"] == "pass"}
        known, nobody = passes[f"{device}:901"], passes[f"{device}:902"]
        assert known["worker_id"] == str(worker) and known["method"] == "face"
        assert known["direction"] == "in" and nobody["worker_id"] is None
        assert datetime.fromisoformat(known["occurred_at"]) == now.astimezone(UTC)
        picture = await http.get(f"/v1/snapshots/{nobody['snapshot_ref']}", headers=officer)
        assert picture.status_code == 200 and picture.content == JPEG  # the stranger's face

        assert (await terminal.send(face, JPEG)).status_code == 200  # sent again
        mine = f"{device}:"
        await wait_until(
            lambda: (
                sorted(e for e in stored_event_ids(stack, site.project_a) if e.startswith(mine))
                == [f"{mine}901", f"{mine}902"]
            )
        )

        with sync_redis(stack.redis_url) as redis:
            redis.hdel(device_seen_key(stack.namespace), device)
            beat = await client.post(
                f"/isapi/{serial}/events",
                json={"eventType": "heartBeat", "dateTime": now.isoformat()},
            )
            assert beat.status_code == 200
            assert redis.hget(device_seen_key(stack.namespace), device) is not None

        garbage = await client.post(
            f"/isapi/{serial}/events",
            content=b'{"eventType": "AccessControllerEvent", "marker": "hik-garbage-7"',
            headers={"content-type": "application/json"},
        )
        assert garbage.status_code == 200  # acknowledged, so the terminal moves on
        letters = await dead_letters_about(stack, {"hik-garbage-7"})
        assert letters["hik-garbage-7"]["source_topic"] == f"hikvision:{device}"


async def test_a_terminal_whose_clock_is_wrong_is_reported_until_it_is_set_right(
    stack: Settings, http: httpx.AsyncClient, site: Site, browser: WebDriver
) -> None:
    serial = f"DS-K1T341{uuid.uuid4().hex[:8].upper()}"
    officer = auth(site.tokens["officer_a"])
    base = f"http://{stack.bind_host}:{stack.ingest_port}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:

        async def beat(minutes_behind: int) -> int:
            at = datetime.now(SHANGHAI) - timedelta(minutes=minutes_behind)
            reply = await client.post(
                f"/isapi/{serial}/events",
                json={"eventType": "heartBeat", "dateTime": at.isoformat(timespec="seconds")},
            )
            return reply.status_code

        assert await beat(0) == 403
        device = await adopt_terminal(http, officer, site.project_a, "hikvision", serial)

        async def behind() -> bool:
            return await beat(20) == 200

        await wait_until(behind, stack.device_cache_ttl_s + 30)  # its clock is 20 min slow
        evaluate(stack)
        alerts = await alerts_of(http, site.tokens["officer_a"], site.project_a)
        skew = alerts[f"device_clock_skew|device:{device}"]
        assert skew["status"] == "open" and 1190 <= skew["evidence"]["offset_s"] <= 1260
        assert "时钟慢" in skew["message_zh"]
        status = await http.get(f"/v1/projects/{site.project_a}/devices/status", headers=officer)
        [mine] = [d for d in status.json()["items"] if d["device_id"] == device]
        assert mine["online"] and mine["protocol"] == "hikvision"
        assert 1190 <= mine["clock_offset_s"] <= 1260
        assert mine["roster_lacking"] is None  # no address: it is not sent people

        # 设备状态 on the project page, as its labour officer sees it.
        await log_in(browser, stack, site.logins["officer_a"], PASSWORD, lands_on="project.html")

        def device_row(b: WebDriver) -> str:
            rows = b.find_elements(By.CSS_SELECTOR, "tr.device-row")
            return next((r.text for r in rows if r.text.startswith(device)), "")

        await until(browser, lambda b: "海康 ISAPI" in device_row(b))
        assert "在线" in device_row(browser) and "慢 12" in device_row(browser)
        assert await beat(0) == 200  # set right (校时)
        evaluate(stack)
        alerts = await alerts_of(http, site.tokens["officer_a"], site.project_a)
        assert alerts[f"device_clock_skew|device:{device}"]["status"] == "cleared"


async def test_a_terminal_registered_with_push_credentials_must_prove_them(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    serial = f"DS-K1T671T{uuid.uuid4().hex[:8].upper()}"
    officer = auth(site.tokens["officer_a"])
    not_hik = await http.post(
        f"/v1/projects/{site.project_a}/devices",
        json={
            "device_id": f"zk-{serial}",
            "protocol": "zkteco",
            "serial_number": serial,
            "push_password": "Listen-2026",
        },
        headers=officer,
    )
    assert not_hik.status_code == 422  # PUSH terminals send no credentials
    base = f"http://{stack.bind_host}:{stack.ingest_port}"
    beat = {"eventType": "heartBeat", "dateTime": datetime.now(SHANGHAI).isoformat()}
    async with httpx.AsyncClient(base_url=base, timeout=30) as anonymous:
        assert (await anonymous.post(f"/isapi/{serial}/events", json=beat)).status_code == 403
        registered = await http.post(
            f"/v1/projects/{site.project_a}/devices",
            json={
                "device_id": f"hik-{serial}",
                "protocol": "hikvision",
                "serial_number": serial,
                "push_username": "sitepulse",
                "push_password": "Listen-2026",
            },
            headers=officer,
        )
        assert registered.status_code == 201 and "Listen-2026" not in registered.text

        async def challenged() -> bool:
            reply = await anonymous.post(f"/isapi/{serial}/events", json=beat)
            return reply.status_code == 401

        await wait_until(challenged, stack.device_cache_ttl_s + 30)
        reply = await anonymous.post(f"/isapi/{serial}/events", json=beat)
        assert reply.headers["WWW-Authenticate"].startswith("Digest ")
        with sync_redis(stack.redis_url) as redis:  # refused: not taken as a sign of life
            assert redis.hget(device_seen_key(stack.namespace), f"hik-{serial}") is None

    wrong = httpx.DigestAuth("sitepulse", "Guess-2026")
    right = httpx.DigestAuth("sitepulse", "Listen-2026")
    basic = httpx.BasicAuth("sitepulse", "Listen-2026")
    for credentials, expected in ((wrong, 401), (right, 200), (basic, 200)):
        async with httpx.AsyncClient(base_url=base, timeout=30, auth=credentials) as terminal:
            answer = await terminal.post(f"/isapi/{serial}/events", json=beat)
            assert answer.status_code == expected, answer.text

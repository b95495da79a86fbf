"""设备状态 on the real stack: what gates tell in their heartbeats (firmware, backlog) goes
through ``gate.heartbeats`` and streams into Redis, their passes set their last pass, and
the status shows it per project and, for a regulator, across the region, offline first, on
the 设备状态 page in Chromium."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from api.stores.devices import DeviceRecord, provision_devices
from infra.settings import Settings
from ingest.signing import sign_headers
from ingest.zkteco_client import ZktecoTerminal

from .chromium import log_in, until
from .helpers import new_device, wait_until
from .people import (
    PASSWORD,
    Site,
    adopt_terminal,
    auth,
    register_worker,
    worker_with_password,
)
from .test_workers import new_id_number

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _status_of(http: httpx.AsyncClient, token: str, device: str) -> dict[str, Any]:
    board = await http.get("/v1/devices/status", headers=auth(token))
    assert board.status_code == 200, board.text
    return next((d for d in board.json()["items"] if d["device_id"] == device), {})


async def test_heartbeats_and_passes_make_the_device_status_of_a_region(
    stack: Settings, http: httpx.AsyncClient, site: Site, browser: WebDriver
) -> None:
    officer = auth(site.tokens["officer_a"])
    regulator = site.tokens["regulator_gx"]
    worker = await register_worker(http, officer, site.project_a)
    serial = f"CKUK{uuid.uuid4().hex[:10].upper()}"
    ingest = f"http://{stack.bind_host}:{stack.ingest_port}"
    native = new_device(stack, site.project_a)
    silent = DeviceRecord(f"{site.project_a}-G2", site.project_a, secrets.token_hex(24))
    provision_devices(stack.postgres_dsn, [silent])  # registered, never heard from
    async with httpx.AsyncClient(base_url=ingest, timeout=30) as client:
        terminal = ZktecoTerminal(client, serial, SHANGHAI)
        assert (await terminal.open_session()).status_code == 403
        device = await adopt_terminal(http, officer, site.project_a, "zkteco", serial)

        async def polled() -> bool:
            reply = await client.get(
                "/iclock/getrequest",
                params={"SN": serial, "INFO": "Ver 8.0.4.3-20220317,12,0,3456,192.168.1.201"},
            )
            return reply.status_code == 200

        await wait_until(polled, stack.device_cache_ttl_s + 30)
        at = datetime.now(SHANGHAI).replace(microsecond=0) - timedelta(minutes=3)
        item = {"occurred_at": at.isoformat(), "direction": "in", "worker_id": worker}
        reply, _ = await terminal.push([item])
        assert reply.status_code == 200

        body = json.dumps({"firmware": "gate-fw 3.2.1", "backlog": 7}).encode()
        headers = sign_headers(native.secret, native.device_id, body, now=time.time())
        assert (
            await client.post("/v1/heartbeats", content=body, headers=headers)
        ).status_code == 204

    async def told() -> bool:
        mine = await _status_of(http, regulator, device)
        theirs = await _status_of(http, regulator, native.device_id)
        return (
            mine.get("firmware") == "Ver 8.0.4.3-20220317"
            and mine.get("last_pass") is not None
            and theirs.get("backlog") == 7
        )

    await wait_until(told, 60)
    mine = await _status_of(http, regulator, device)
    assert mine["online"] and mine["project_id"] == site.project_a
    assert mine["project_name"] == f"项目{site.project_a}" and mine["protocol"] == "zkteco"
    assert datetime.fromisoformat(mine["last_pass"]) == at
    assert mine["last_heartbeat"] is not None and mine["serial_number"] == serial
    theirs = await _status_of(http, regulator, native.device_id)
    assert theirs["firmware"] == "gate-fw 3.2.1" and theirs["online"]

    offline = await http.get("/v1/devices/status?offline_only=true", headers=auth(regulator))
    shown = {d["device_id"] for d in offline.json()["items"]}
    assert silent.device_id in shown and device not in shown and native.device_id not in shown
    counts = offline.json()
    assert counts["total"] == counts["online"] + counts["offline"] + counts["disabled"]

    # Beijing's regulator sees none of Guangxi's gates; a worker sees no gates at all.
    assert await _status_of(http, site.tokens["regulator_bj"], device) == {}
    officers = await http.get("/v1/devices/status", headers=officer)
    assert officers.status_code == 200  # a labour officer sees their project's
    assert {d["project_id"] for d in officers.json()["items"]} == {site.project_a}
    _, worker_token, _ = await worker_with_password(http, officer, site.project_a, new_id_number())
    refused = await http.get("/v1/devices/status", headers=auth(worker_token))
    assert refused.status_code == 403

    await log_in(browser, stack, site.logins["regulator_gx"], PASSWORD, lands_on="region.html")
    browser.get(f"http://{stack.bind_host}:{stack.realtime_port}/devices.html")

    def row_of(b: WebDriver, device_id: str) -> str:
        rows = b.find_elements(By.CSS_SELECTOR, "tr.device-row")
        return next((r.text for r in rows if device_id in r.text), "")

    await until(browser, lambda b: "Ver 8.0.4.3" in row_of(b, device))
    assert "在线" in row_of(browser, device) and "中控 PUSH" in row_of(browser, device)
    assert "离线" in row_of(browser, silent.device_id)
    browser.find_element(By.ID, "offline-only").click()
    await until(browser, lambda b: row_of(b, device) == "" and row_of(b, silent.device_id) != "")

    # 人员下发明细 on the project page: the worker the terminal took and never confirmed.
    browser.get(
        f"http://{stack.bind_host}:{stack.realtime_port}/project.html?project={site.project_a}"
    )
    await until(browser, lambda b: "中控 PUSH" in row_of(b, device))
    row = next(
        r for r in browser.find_elements(By.CSS_SELECTOR, "tr.device-row") if device in r.text
    )
    row.find_element(By.CSS_SELECTOR, "button.roster-toggle").click()

    def details(b: WebDriver) -> str:
        return " ".join(r.text for r in b.find_elements(By.CSS_SELECTOR, "tr.roster-row"))

    await until(browser, lambda b: f"（{worker}）" in details(b))
    assert "待下发" in details(browser) and "已发送，待终端确认" in details(browser)

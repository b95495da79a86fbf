"""A Dahua access terminal, on the real stack: once registered with its address and login,
ingest holds its event stream open (digest auth, as the terminal checks it); an access
record becomes a pass on the live dashboard and in ClickHouse, a record replayed after a
reconnect is stored once, a refused face is nobody's pass, and a broken record is
dead-lettered."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from infra.settings import Settings
from ingest.dahua_terminal import FIRMWARE, DahuaTerminal

from .helpers import dashboard, dead_letters_about, stored_event_ids, wait_until
from .people import Site, auth, register_worker


@pytest.fixture
def terminal() -> Iterator[DahuaTerminal]:
    standin = DahuaTerminal("admin", "Dahua-" + uuid.uuid4().hex[:8])
    yield standin
    standin.stop()


def record(number: int, worker: str, when: datetime, **more: object) -> dict[str, object]:
    """As the terminal writes it: ``UTC`` is its local (Beijing) wall clock as epoch."""
    wall = when.astimezone(UTC) + timedelta(hours=8)
    return {
        "RecNo": number,
        "UTC": int(wall.replace(tzinfo=UTC).timestamp()),
        "UserID": worker,
        "Method": 15,
        "Status": 1,
        "ErrorCode": 0,
        "Type": "Entry",
        "CardNo": "",
        "Door": 0,
        **more,
    }


async def test_ingest_holds_a_dahua_terminals_stream_and_takes_its_records(
    stack: Settings, http: httpx.AsyncClient, site: Site, terminal: DahuaTerminal
) -> None:
    officer = auth(site.tokens["officer_a"])
    worker = await register_worker(http, officer, site.project_a)
    device = f"dahua-{uuid.uuid4().hex[:8]}"
    wrong = await http.post(
        f"/v1/projects/{site.project_a}/devices",
        json={"device_id": device, "protocol": "dahua", "serial_number": device},
        headers=officer,
    )
    assert wrong.status_code == 422 and "address" in wrong.text  # nowhere to connect to
    registered = await http.post(
        f"/v1/projects/{site.project_a}/devices",
        json={
            "device_id": device,
            "protocol": "dahua",
            "serial_number": device,
            "address": terminal.address,
            "username": terminal.username,
            "password": terminal.password,
            "vendor": "Dahua",
        },
        headers=officer,
    )
    assert registered.status_code == 201, registered.text
    assert terminal.password not in registered.text
    await wait_until(lambda: terminal.attached >= 1, 30)  # the connector logged in
    assert terminal.refused_logins >= 1  # (the first request is the digest challenge)

    when = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=3)
    async with dashboard(stack, site.project_a) as live:
        terminal.records.put(record(501, str(worker), when))
        terminal.records.put(record(502, "", when, Status=0, ErrorCode=16, Type="Exit"))
        terminal.records.put(record(501, str(worker), when))  # replayed
        terminal.records.put({"RecNo": "dahua-broken-9", "UTC": "x"})
        await wait_until(lambda: sum(m["type"] == "pass" for m in live.messages) >= 2, 30)
    passes = {m["event"]["event_id"]: m["event"] for m in live.messages if m["type"] == "pass"}
    known, refused = passes[f"{device}:501"], passes[f"{device}:502"]
    assert known["worker_id"] == str(worker) and known["method"] == "face"
    assert datetime.fromisoformat(known["occurred_at"]) == when
    assert refused["worker_id"] is None and refused["direction"] == "out"
    await wait_until(
        lambda: (
            sorted(e for e in stored_event_ids(stack, site.project_a) if device in e)
            == [f"{device}:501", f"{device}:502"]
        )
    )
    letters = await dead_letters_about(stack, {"dahua-broken-9"})
    assert letters["dahua-broken-9"]["source_topic"] == f"dahua:{device}"

    # 人员下发 over the terminal's HTTP API, and its firmware in 设备状态.
    await wait_until(lambda: str(worker) in terminal.people, 30)
    assert terminal.people[str(worker)]["user"]["UserName"]
    status = await http.get(f"/v1/projects/{site.project_a}/devices/status", headers=officer)
    [mine] = [d for d in status.json()["items"] if d["device_id"] == device]
    assert mine["roster_lacking"] == 0

    async def firmware_told() -> bool:
        status = await http.get(f"/v1/projects/{site.project_a}/devices/status", headers=officer)
        [mine] = [d for d in status.json()["items"] if d["device_id"] == device]
        return bool(mine["firmware"] == FIRMWARE)

    await wait_until(firmware_told, 30)

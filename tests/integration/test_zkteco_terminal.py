"""A ZKTeco terminal in PUSH mode, on the real stack: it is refused until registered, its
session opens with the options, its attendance lines reach ClickHouse and the live
dashboard once however often they are resent, a bad line is dead-lettered and still
acknowledged, and the project's roster reaches it on its next poll."""

from __future__ import annotations

import asyncio
import base64
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import cv2
import httpx
import numpy as np
import pytest

from analytics.clickhouse import connect
from api.seed import build_sample, load_sample
from infra.launch.simulator import GateSimulator, SimulationPlan
from infra.settings import Settings
from ingest.zkteco_client import ZktecoTerminal, capture_photo

from .helpers import dashboard, dead_letters_about, stored_event_ids, wait_until
from .people import Site, adopt_terminal, auth, exit_worker, register_worker
from .test_faces_end_to_end import b64, photo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def iclock(stack: Settings) -> str:
    return f"http://{stack.bind_host}:{stack.ingest_port}/iclock"


async def test_a_zkteco_terminal_pushes_passes_once_and_takes_the_roster(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    serial = f"CJDE{uuid.uuid4().hex[:10].upper()}"
    officer = auth(site.tokens["officer_a"])
    worker = await register_worker(http, officer, site.project_a)
    async with httpx.AsyncClient(base_url=iclock(stack), timeout=30) as terminal:
        refused = await terminal.get("/cdata", params={"SN": serial, "options": "all"})
        assert refused.status_code == 403 and serial in refused.text
        device = await adopt_terminal(
            http, officer, site.project_a, "zkteco", serial, direction="in", vendor="ZKTeco"
        )
        no_serial = await http.post(
            f"/v1/projects/{site.project_a}/devices",
            json={"device_id": f"zk2-{serial}", "protocol": "zkteco"},
            headers=officer,
        )
        assert no_serial.status_code == 422
        # (a refused serial is remembered for the credential cache's lifetime)
        await wait_until(lambda: _opens(stack, serial), stack.device_cache_ttl_s + 30)
        options = await terminal.get("/cdata", params={"SN": serial, "options": "all"})
        assert options.text.startswith(f"GET OPTION FROM: {serial}")
        assert "TimeZone=8" in options.text and "Realtime=1" in options.text

        now = datetime.now(SHANGHAI).replace(microsecond=0)
        came, left = now - timedelta(minutes=30), now - timedelta(minutes=1)
        lines = [
            f"{worker}\t{came:%Y-%m-%d %H:%M:%S}\t0\t15\t0\t0\t0",  # in, face
            f"{worker}\t{left:%Y-%m-%d %H:%M:%S}\t1\t15\t0\t0\t0",  # out, face
            f"{worker}\tyesterday-ish\t0\t15",  # unreadable
        ]
        body = ("\n".join(lines) + "\n").encode()
        async with dashboard(stack, site.project_a) as live:
            pushed = await terminal.post(
                "/cdata", params={"SN": serial, "table": "ATTLOG", "Stamp": "1"}, content=body
            )
            assert pushed.status_code == 200 and pushed.text == "OK: 3"
            await wait_until(lambda: sum(m["type"] == "pass" for m in live.messages) >= 2, 30)
        passes = [m["event"] for m in live.messages if m["type"] == "pass"]
        assert {p["direction"] for p in passes} == {"in", "out"}
        assert {p["worker_id"] for p in passes} == {str(worker)}
        assert {p["method"] for p in passes} == {"face"}
        entered = next(p for p in passes if p["direction"] == "in")
        assert datetime.fromisoformat(entered["occurred_at"]) == came  # read in Shanghai time

        again = await terminal.post(
            "/cdata", params={"SN": serial, "table": "ATTLOG", "Stamp": "1"}, content=body
        )
        assert again.text == "OK: 3"  # a backlog resent after a reconnect
        mine = f"{device}:"
        await wait_until(
            lambda: (
                len([e for e in stored_event_ids(stack, site.project_a) if e.startswith(mine)]) == 2
            )
        )
        letters = await dead_letters_about(stack, {"yesterday-ish"})
        assert letters["yesterday-ish"]["source_topic"] == f"zkteco:{device}"

        poll = await terminal.get("/getrequest", params={"SN": serial})
        commands = [line for line in poll.text.splitlines() if line.startswith("C:")]
        [add] = [c for c in commands if f"PIN={worker}\t" in c]
        assert "DATA UPDATE USERINFO" in add and "Name=" in add
        command_id = add.split(":")[1]
        gaps = await http.get(f"/v1/projects/{site.project_a}/devices/roster", headers=officer)
        [gap] = gaps.json()["items"]
        assert gap["lacking"] == 1 and gap["in_flight"] == 1
        answered = await terminal.post(
            "/devicecmd",
            params={"SN": serial},
            content=f"ID={command_id}&Return=0&CMD=DATA\n".encode(),
        )
        assert answered.text == "OK"
        gaps = await http.get(f"/v1/projects/{site.project_a}/devices/roster", headers=officer)
        assert gaps.json()["items"][0] | {"in_flight": 0} == gap | {"lacking": 0, "in_flight": 0}
        quiet = await terminal.get("/getrequest", params={"SN": serial})
        assert quiet.text == "OK"  # nothing left to send

        # 发卡 and a face: the worker is sent again, with the card and the face picture.
        card = await http.put(
            f"/v1/workers/{worker}/card", json={"card_number": "0012345678"}, headers=officer
        )
        assert card.status_code == 200 and card.json()["card_number"] == "0012345678"
        other = await register_worker(http, officer, site.project_a)
        taken = await http.put(
            f"/v1/workers/{other}/card", json={"card_number": "0012345678"}, headers=officer
        )
        assert taken.status_code == 409 and "已发给其他工人" in taken.json()["message_zh"]
        await exit_worker(http, officer, other, site.project_a)
        enrolled = await http.put(
            f"/v1/workers/{worker}/face",
            json={"project_id": site.project_a, "photos": [b64(photo("obama.jpg"))]},
            headers=officer,
        )
        assert enrolled.status_code == 200, enrolled.text
        user, face = await _commands_for(terminal, serial, worker)
        assert "DATA UPDATE USERINFO" in user and "Card=0012345678" in user
        assert "DATA UPDATE BIOPHOTO" in face and "Type=9" in face
        assert user.split(":")[1] == face.split(":")[1]  # one command, two lines
        picture = _face_picture(face)
        assert picture is not None and max(picture.shape[:2]) <= 480

        # The terminal takes the card but refuses the face (its face store is full, say):
        # the command is not done, and it is sent again once resend_after has passed.
        command_id = user.split(":")[1]
        await terminal.post(
            "/devicecmd",
            params={"SN": serial},
            content=f"ID={command_id}&Return=0&CMD=DATA\nID={command_id}&Return=-12&CMD=DATA\n".encode(),
        )
        gaps = await http.get(f"/v1/projects/{site.project_a}/devices/roster", headers=officer)
        [gap] = [g for g in gaps.json()["items"] if g["device_id"] == device]
        assert gap["lacking"] == 1  # without the face, the worker is not as they should be
        listed = await http.get(f"/v1/devices/{device}/roster", headers=officer)
        [why] = listed.json()["items"]
        assert why["worker_id"] == worker and why["gap"] == "lacking"
        assert why["state"] == "failed" and why["return_code"] == -12 and why["attempts"] == 1
        await asyncio.sleep(stack.roster_resend_s + 0.5)
        user, face = await _commands_for(terminal, serial, worker)
        assert user.split(":")[1] != command_id and "Card=0012345678" in user
        await terminal.post(
            "/devicecmd",
            params={"SN": serial},
            content=f"ID={user.split(':')[1]}&Return=0&CMD=DATA\n".encode(),
        )

        await exit_worker(http, officer, worker, site.project_a)  # 退场: off the terminal
        poll = await terminal.get("/getrequest", params={"SN": serial})
        [remove] = [line for line in poll.text.splitlines() if line.startswith("C:")]
        assert remove.endswith(f"DATA DELETE USERINFO PIN={worker}")
        await terminal.post(
            "/devicecmd",
            params={"SN": serial},
            content=f"ID={remove.split(':')[1]}&Return=0&CMD=DATA\n".encode(),
        )
        gaps = await http.get(f"/v1/projects/{site.project_a}/devices/roster", headers=officer)
        assert gaps.json()["items"][0] | {"device_id": ""} == {
            "device_id": "",
            "protocol": "zkteco",
            "lacking": 0,
            "extra": 0,
            "in_flight": 0,
        }


async def _commands_for(terminal: httpx.AsyncClient, serial: str, worker: int) -> list[str]:
    """The command lines of the next poll about this worker."""
    poll = await terminal.get("/getrequest", params={"SN": serial})
    lines = [line for line in poll.text.splitlines() if line.startswith("C:")]
    return [line for line in lines if f"PIN={worker}\t" in line]


def _face_picture(line: str) -> np.ndarray | None:
    fields = dict(field.split("=", 1) for field in line.split(" ", 3)[3].split("\t"))
    jpeg = base64.b64decode(fields["Content"])
    assert int(fields["Size"]) == len(fields["Content"])
    return cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)


def _opens(stack: Settings, serial: str) -> bool:
    reply = httpx.get(f"{iclock(stack)}/cdata", params={"SN": serial, "options": "all"})
    return reply.status_code == 200


async def test_a_zkteco_terminal_sends_the_faces_it_turned_away(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    """ATTPHOTO: a stranger's capture is a pass of nobody with its photo, stored once; a
    known person's photo is acknowledged and not kept; a broken one is dead-lettered."""
    serial = f"CJDF{uuid.uuid4().hex[:10].upper()}"
    officer = auth(site.tokens["officer_a"])
    base = f"http://{stack.bind_host}:{stack.ingest_port}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        terminal = ZktecoTerminal(client, serial, SHANGHAI)
        assert (await terminal.open_session()).status_code == 403
        device = await adopt_terminal(http, officer, site.project_a, "zkteco", serial)
        await wait_until(lambda: _opens(stack, serial), stack.device_cache_ttl_s + 30)
        when = datetime.now(SHANGHAI).replace(microsecond=0) - timedelta(minutes=4)
        photo_bytes = capture_photo()
        async with dashboard(stack, site.project_a) as live:
            for _ in range(2):  # sent again after a reconnect
                reply = await terminal.push_stranger({"occurred_at": when.isoformat()}, photo_bytes)
                assert reply.status_code == 200 and reply.text == "OK"
            await wait_until(lambda: any(m["type"] == "pass" for m in live.messages), 30)
        [nobody] = [m["event"] for m in live.messages if m["type"] == "pass"]
        assert nobody["worker_id"] is None and nobody["method"] == "face"
        assert datetime.fromisoformat(nobody["occurred_at"]) == when
        picture = await http.get(f"/v1/snapshots/{nobody['snapshot_ref']}", headers=officer)
        assert picture.status_code == 200 and picture.content == photo_bytes

        known = f"PIN={when:%Y%m%d%H%M%S}-42.jpg\nSN={serial}\nsize=9\nCMD=uploadphoto\x00"
        broken = f"PIN=zk-photo-broken-3.jpg\nSN={serial}\nCMD=uploadphoto\x00"
        for head in (known, broken):
            reply = await client.post(
                "/iclock/cdata",
                params={"SN": serial, "table": "ATTPHOTO"},
                content=head.encode() + photo_bytes,
            )
            assert reply.status_code == 200 and reply.text == "OK"
        letters = await dead_letters_about(stack, {"zk-photo-broken-3"})
        assert "does not start with the time" in letters["zk-photo-broken-3"]["reason"]
        mine = f"{device}:"
        await wait_until(
            lambda: (
                [e for e in stored_event_ids(stack, site.project_a) if e.startswith(mine)]
                == [nobody["event_id"]]
            )
        )


@pytest.mark.parametrize("protocol", ["zkteco", "hikvision", "httpv2", "dahua"])
async def test_the_simulator_drives_vendor_gates_through_the_adapters(
    stack: Settings, protocol: str
) -> None:
    """``sitepulse simulate --protocol ...``: the gates send in their vendor's protocol
    (ZKTeco ones also take the roster from their polls; Dahua ones are simulated terminals
    whose streams ingest holds); everything they send is stored."""
    load_sample(stack.postgres_dsn, build_sample(projects=1, workers=12, seed=5))
    plan = SimulationPlan(
        projects=1, gates=2, workers=12, rate=20, duration_s=3, flat=True, protocol=protocol
    )
    simulator = GateSimulator(stack, plan)
    gates = tuple(gate.device_id for gate in simulator.sites[0].gates)
    client = connect(stack.clickhouse_url)

    def event_ids() -> set[str]:
        rows = client.execute(
            "SELECT DISTINCT event_id FROM gate_passes WHERE device_id IN %(gates)s",
            {"gates": gates},
        )
        return {str(row[0]) for row in rows}

    before = event_ids()  # (other tests, and other protocols, use these gates too)
    simulator.provision()
    progress = await simulator.run(show_progress=False)
    assert progress.accepted > 10 and not progress.last_error, progress.last_error
    if protocol == "zkteco":
        assert progress.roster_commands >= simulator.registered  # both gates took the roster

    def stored() -> int:
        return len(event_ids() - before)

    await wait_until(lambda: stored() >= progress.accepted, 60)
    assert stored() == progress.accepted

"""An "HTTPv2" face terminal, on the real stack: its keepalive is answered 401 until it is
registered, then 1; its identify records (gzip or not, with the capture) become passes on
the live dashboard and in ClickHouse once however often they are sent; an unregistered
face is nobody's pass; a refusal is no pass; a broken record is acknowledged and
dead-lettered."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx

from infra.settings import Settings
from ingest.httpv2_client import HttpV2Terminal

from .helpers import dashboard, dead_letters_about, stored_event_ids, wait_until
from .people import Site, adopt_terminal, auth, register_worker

JPEG = b"\xff\xd8\xff\xe0" + b"\x10JFIF" + b"\x00" * 48 + b"\xff\xd9"


def record(
    number: int, record_type: int, worker: str, when: datetime, entry: int = 1
) -> dict[str, object]:
    return {
        "RecordID": number,
        "RecordType": record_type,
        "RecordDate": int(when.timestamp()),
        "UserID": worker,
        "Name": "",
        "CardNum": "0",
        "IsEntry": entry,
        "BodyTemp": 0,
        "PhotoLen": len(JPEG),
    }


async def test_an_httpv2_terminal_keeps_alive_and_uploads_identify_records(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    serial = f"FC-8200H{uuid.uuid4().hex[:8].upper()}"
    officer = auth(site.tokens["officer_a"])
    worker = await register_worker(http, officer, site.project_a)
    base = f"http://{stack.bind_host}:{stack.ingest_port}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        terminal = HttpV2Terminal(client, serial)
        refused = await terminal.keepalive()
        assert refused.status_code == 200 and refused.json()["Success"] == 401
        device = await adopt_terminal(http, officer, site.project_a, "httpv2", serial)

        async def alive() -> bool:
            return bool((await terminal.keepalive()).json()["Success"] == 1)

        await wait_until(alive, stack.device_cache_ttl_s + 30)
        when = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=4)
        async with dashboard(stack, site.project_a) as live:
            face = record(7001, 3, str(worker), when)
            assert (await terminal.upload(face, JPEG, compress=True)).json() == {"Success": 1}
            stranger = record(7002, 19, "", when, entry=0)
            assert (await terminal.upload(stranger, JPEG)).json() == {"Success": 1}
            turned_away = record(7003, 16, str(worker), when)  # validity expired
            assert (await terminal.upload(turned_away)).json() == {"Success": 1}
            assert (await terminal.upload(face, JPEG)).json() == {"Success": 1}  # again
            await wait_until(lambda: sum(m["type"] == "pass" for m in live.messages) >= 2, 30)
        passes = {m["event"]["event_id"]: m["event"] for m in live.messages if m["type"] == "pass"}
        known, nobody = passes[f"{device}:7001"], passes[f"{device}:7002"]
        assert known["worker_id"] == str(worker) and known["method"] == "face"
        assert datetime.fromisoformat(known["occurred_at"]) == when
        assert nobody["worker_id"] is None and nobody["direction"] == "out"
        picture = await http.get(f"/v1/snapshots/{nobody['snapshot_ref']}", headers=officer)
        assert picture.content == JPEG
        await wait_until(
            lambda: (
                sorted(e for e in stored_event_ids(stack, site.project_a) if device in e)
                == [f"{device}:7001", f"{device}:7002"]
            )
        )
        broken = {"RecordID": "httpv2-broken-3", "RecordType": 3}
        assert (await terminal.upload(broken)).json() == {"Success": 1}
        letters = await dead_letters_about(stack, {"httpv2-broken-3"})
        assert letters["httpv2-broken-3"]["source_topic"] == f"httpv2:{device}"
        nonsense = await client.post("/Device/Keepalive", content=b"\x00garbage")
        assert nonsense.status_code == 200 and nonsense.json()["Success"] == 400

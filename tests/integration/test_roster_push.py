"""人员下发 to a Hikvision terminal the platform calls, on the real stack: a worker with a
card (发卡) and an enrolled face reaches the terminal over ISAPI with digest auth, while the
terminal is offline nothing is lost (it gets everyone once it answers), a new card is sent
again, and a worker who leaves the project is taken off."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from infra.settings import Settings

from .helpers import wait_until
from .hikvision_standin import HikvisionStandIn
from .people import Site, auth, exit_worker, register_worker
from .test_faces_end_to_end import b64, photo


@pytest.fixture
def terminal() -> Iterator[HikvisionStandIn]:
    standin = HikvisionStandIn("admin", "Hik-" + uuid.uuid4().hex[:8])
    yield standin
    standin.stop()


async def _lacking(http: httpx.AsyncClient, officer: dict[str, str], project: str) -> int:
    gaps = await http.get(f"/v1/projects/{project}/devices/roster", headers=officer)
    [gap] = gaps.json()["items"]
    return int(gap["lacking"])


def _failed_once(stack: Settings, device_id: str) -> bool:
    """A roster command to the terminal failed for want of an answer (-1)."""
    with psycopg.connect(stack.postgres_dsn) as conn:
        row = conn.execute(
            "SELECT count(*) FROM device_commands WHERE device_id = %s AND state = 'failed'"
            " AND return_code = -1",
            (device_id,),
        ).fetchone()
    return bool(row and row[0] > 0)


async def test_the_roster_reaches_a_hikvision_terminal_even_after_it_was_offline(
    stack: Settings, http: httpx.AsyncClient, site: Site, terminal: HikvisionStandIn
) -> None:
    officer = auth(site.tokens["officer_a"])
    worker = await register_worker(http, officer, site.project_a)
    card = await http.put(
        f"/v1/workers/{worker}/card", json={"card_number": "3094719826"}, headers=officer
    )
    assert card.status_code == 200, card.text
    enrolled = await http.put(
        f"/v1/workers/{worker}/face",
        json={"project_id": site.project_a, "photos": [b64(photo("obama.jpg"))]},
        headers=officer,
    )
    assert enrolled.status_code == 200, enrolled.text
    serial = f"DS-K1T671M{uuid.uuid4().hex[:6].upper()}"
    registered = await http.post(
        f"/v1/projects/{site.project_a}/devices",
        json={
            "device_id": f"hik-{serial}",
            "protocol": "hikvision",
            "serial_number": serial,
            "address": terminal.address,
            "username": "admin",
            "password": terminal.password,
        },
        headers=officer,
    )
    assert registered.status_code == 201, registered.text

    # The terminal is not answering yet: the command fails and waits, nothing is lost.
    await wait_until(lambda: _failed_once(stack, f"hik-{serial}"), 30)
    assert await _lacking(http, officer, site.project_a) == 1
    terminal.start()
    await wait_until(lambda: terminal.people.get(str(worker), {}).get("face") is not None, 30)
    person = terminal.people[str(worker)]
    assert person["cards"] == ["3094719826"] and person["name"]
    assert person["face"].startswith(b"\xff\xd8")
    assert terminal.refused_logins >= 1  # every call answered the digest challenge

    async def none_lacking() -> bool:
        return await _lacking(http, officer, site.project_a) == 0

    await wait_until(none_lacking, 10)

    # A new card is sent again; a worker who leaves is taken off the terminal.
    await http.put(f"/v1/workers/{worker}/card", json={"card_number": "77001234"}, headers=officer)
    await wait_until(lambda: terminal.people[str(worker)]["cards"] == ["77001234"], 30)
    await exit_worker(http, officer, worker, site.project_a)
    await wait_until(lambda: str(worker) not in terminal.people, 30)

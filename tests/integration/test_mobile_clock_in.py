"""Mobile clock-in through the real servers: the officer sets a fence, the worker clocks in
from the phone with two camera frames; each refusal says why, and an accepted clock-in is
a pass (method mobile, the selfie its snapshot) that the streams worker stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from analytics.clickhouse import connect
from infra.settings import Settings

from .helpers import wait_until
from .people import Site, auth, enrolled_phone_user
from .test_faces_end_to_end import b64, photo
from .test_workers import new_id_number

SITE = (22.8170, 108.3665)  # a site in Nanning (WGS-84)
NEARBY = (22.8176, 108.3670)  # about 80 m away
ACROSS_TOWN = (22.8270, 108.3665)  # about 1.1 km north


def clock_in(
    direction: str,
    project_id: str,
    *,
    at: tuple[float, float] = NEARBY,
    accuracy_m: float = 15,
    frames: tuple[str, str] = ("obama2.jpg", "obama3.jpg"),
    captured_at: datetime | None = None,
) -> dict[str, Any]:
    return {
        "project_id": project_id,
        "direction": direction,
        "latitude": at[0],
        "longitude": at[1],
        "accuracy_m": accuracy_m,
        "captured_at": (captured_at or datetime.now(UTC)).isoformat(),
        "selfie_jpegs": [b64(photo(name)) for name in frames],
    }


def refusal(response: httpx.Response) -> tuple[str, str]:
    assert response.status_code == 422, response.text
    problem = response.json()["problems"][0]
    return problem["field"], problem["message_zh"]


async def test_clock_in_inside_the_fence_with_a_live_face_becomes_a_pass(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    officer = auth(site.tokens["officer_a"])
    worker = await enrolled_phone_user(http, officer, site.project_a, new_id_number())
    worker_id, me = worker.worker_id, auth(worker.token)
    url = "/v1/me/clock-ins"

    before = await http.post(url, json=clock_in("in", site.project_a), headers=me)
    assert refusal(before) == ("project_id", "该项目未开启手机考勤打卡")
    fence = {"center": {"latitude": SITE[0], "longitude": SITE[1]}, "radius_m": 200}
    by_worker = await http.put(
        f"/v1/projects/{site.project_a}/clock-in-fence", json=fence, headers=me
    )
    assert by_worker.status_code == 403
    both = {**fence, "polygon": [fence["center"]] * 3}
    shape = await http.put(
        f"/v1/projects/{site.project_a}/clock-in-fence", json=both, headers=officer
    )
    assert shape.status_code == 422
    set_up = await http.put(
        f"/v1/projects/{site.project_a}/clock-in-fence", json=fence, headers=officer
    )
    assert set_up.status_code == 200 and set_up.json()["max_accuracy_m"] == 50, set_up.text
    [mine] = (await http.get("/v1/me/clock-in-projects", headers=me)).json()
    assert mine["project_id"] == site.project_a and mine["fence"]["radius_m"] == 200

    away = await http.post(url, json=clock_in("in", site.project_a, at=ACROSS_TOWN), headers=me)
    field, why = refusal(away)
    assert field == "latitude" and why.startswith("不在项目打卡范围内（距项目中心约11")
    vague = await http.post(url, json=clock_in("in", site.project_a, accuracy_m=300), headers=me)
    assert refusal(vague)[0] == "accuracy_m"
    skewed = datetime.now(UTC) - timedelta(minutes=20)
    late = await http.post(url, json=clock_in("in", site.project_a, captured_at=skewed), headers=me)
    assert refusal(late)[0] == "captured_at"
    still = await http.post(
        url, json=clock_in("in", site.project_a, frames=("obama2.jpg", "obama2.jpg")), headers=me
    )
    assert refusal(still) == ("selfie_jpegs", "未检测到活体人脸：请正对摄像头，由本人现场拍摄")
    stranger = await http.post(
        url, json=clock_in("in", site.project_a, frames=("biden.jpg", "obama2.jpg")), headers=me
    )
    assert refusal(stranger) == ("selfie_jpeg", "人脸核验未通过：自拍与登记人脸不一致")
    elsewhere = await http.post(url, json=clock_in("in", site.project_b), headers=me)
    assert elsewhere.status_code == 404  # not on that project's roster

    accepted = await http.post(url, json=clock_in("in", site.project_a), headers=me)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["message_zh"] == "上班打卡成功"
    event_id = accepted.json()["event_id"]
    again = await http.post(url, json=clock_in("out", site.project_a), headers=me)
    assert refusal(again) == ("project_id", "打卡过于频繁，请1分钟后再试")

    clickhouse = connect(stack.clickhouse_url)

    def stored() -> list[tuple[Any, ...]]:
        return list(
            clickhouse.execute(
                "SELECT worker_id, method, direction, snapshot_ref FROM gate_passes FINAL"
                " WHERE event_id = %(e)s",
                {"e": event_id},
            )
        )

    await wait_until(lambda: bool(stored()), 60)
    [(passer, method, direction, ref)] = stored()
    assert (passer, method, direction) == (str(worker_id), "mobile", "in")
    selfie = await http.get(f"/v1/snapshots/{ref}", headers=officer)
    assert selfie.status_code == 200 and selfie.content[:2] == b"\xff\xd8"

"""Pre-shift QR sign-in through the real servers, both ways round: the officer scans a
worker's personal code (from a camera frame), a worker scans the project's sign-in code;
a used, altered or foreign code and a phone outside the fence are refused with the reason,
and each sign-in is a pass (method qr) the streams worker stores."""

from __future__ import annotations

import base64
from typing import Any

import cv2
import httpx
import numpy as np

from analytics.clickhouse import connect
from infra.settings import Settings
from tests.qr_frames import camera_frame_of

from .helpers import wait_until
from .people import Site, auth, worker_with_password
from .test_mobile_clock_in import ACROSS_TOWN, NEARBY, SITE, refusal
from .test_workers import new_id_number


def frame_showing(text: str) -> str:
    """A camera frame (base64 JPEG) of a phone screen showing ``text`` as a QR code."""
    return base64.b64encode(camera_frame_of(text)).decode()


def scan(at: tuple[float, float] = NEARBY, **source: str) -> dict[str, Any]:
    return {"latitude": at[0], "longitude": at[1], "accuracy_m": 10, **source}


async def test_sign_in_both_ways_round_once_per_code_inside_the_fence(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    officer = auth(site.tokens["officer_a"])
    first, first_token, _ = await worker_with_password(
        http, officer, site.project_a, new_id_number()
    )
    second, second_token, _ = await worker_with_password(
        http, officer, site.project_a, new_id_number()
    )
    project_code_url = f"/v1/projects/{site.project_a}/sign-in-code"
    no_fence = await http.get(project_code_url, headers=officer)
    assert refusal(no_fence)[0] == "project_id"
    fence = {"center": {"latitude": SITE[0], "longitude": SITE[1]}, "radius_m": 200}
    assert (
        await http.put(f"/v1/projects/{site.project_a}/clock-in-fence", json=fence, headers=officer)
    ).status_code == 200

    # The officer scans the first worker's personal code off their phone's screen.
    personal = await http.get("/v1/me/personal-code", headers=auth(first_token))
    assert personal.status_code == 200 and "<svg" in personal.json()["qr_svg"]
    code = personal.json()["code"]
    officer_scans = f"/v1/projects/{site.project_a}/qr-sign-ins"
    dark = base64.b64encode(bytes(cv2.imencode(".jpg", np.zeros((64, 64, 3), np.uint8))[1]))
    blank = await http.post(officer_scans, json=scan(frame_jpeg=dark.decode()), headers=officer)
    assert refusal(blank) == ("frame_jpeg", "未识别到二维码，请对准后重试")
    outside = await http.post(
        officer_scans, json=scan(ACROSS_TOWN, frame_jpeg=frame_showing(code)), headers=officer
    )
    assert refusal(outside)[0] == "latitude"
    signed = await http.post(
        officer_scans, json=scan(frame_jpeg=frame_showing(code)), headers=officer
    )
    assert signed.status_code == 201, signed.text
    assert signed.json()["worker_id"] == first and signed.json()["message_zh"].endswith(
        "班前签到成功"
    )
    replayed = await http.post(officer_scans, json=scan(code=code), headers=officer)
    assert refusal(replayed)[1] in ("二维码已使用，请刷新后重新扫描", "打卡过于频繁，请1分钟后再试")
    altered = await http.post(
        officer_scans, json=scan(code=code.replace("~w~", "~p~")), headers=officer
    )
    assert refusal(altered) == ("code", "二维码无效（校验失败）")

    # The second worker scans the project's sign-in code off the officer's screen.
    shown = (await http.get(project_code_url, headers=officer)).json()["code"]
    worker_scans = "/v1/me/qr-sign-ins"
    own_code = await http.post(worker_scans, json=scan(code=code), headers=auth(second_token))
    assert refusal(own_code) == ("code", "请扫描项目的签到码")
    by_second = await http.post(
        worker_scans, json=scan(frame_jpeg=frame_showing(shown)), headers=auth(second_token)
    )
    assert by_second.status_code == 201, by_second.text
    assert (
        by_second.json()["worker_id"] == second and by_second.json()["project_id"] == site.project_a
    )
    by_worker = await http.get(project_code_url, headers=auth(second_token))
    assert by_worker.status_code == 403

    clickhouse = connect(stack.clickhouse_url)
    events = [signed.json()["event_id"], by_second.json()["event_id"]]

    def stored() -> list[tuple[Any, ...]]:
        return list(
            clickhouse.execute(
                "SELECT worker_id, method FROM gate_passes FINAL WHERE event_id IN %(e)s"
                " ORDER BY worker_id",
                {"e": tuple(events)},
            )
        )

    await wait_until(lambda: len(stored()) == 2, 60)
    assert sorted(stored()) == sorted([(str(first), "qr"), (str(second), "qr")])

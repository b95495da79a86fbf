"""Safety training through the real servers: the officer adds a course required for
access; until the worker completes it, the terminals' roster leaves them out and a phone
clock-in is refused; a study needs the live face at both ends and the course's minutes,
and one abandoned does not count; officers and regulators see who studied what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from psycopg import AsyncConnection

from infra.settings import Settings

from .people import Site, auth, enrolled_phone_user
from .test_faces_end_to_end import b64, photo
from .test_mobile_clock_in import SITE, clock_in, refusal
from .test_workers import new_id_number

COURSE = {
    "title_zh": "三级安全教育",
    "content_zh": "进入施工现场必须正确佩戴安全帽，高处作业必须系好安全带。",
    "required_minutes": 30,
    "required_for_access": True,
}
LIVE = {"selfie_jpegs": [b64(photo("obama2.jpg")), b64(photo("obama3.jpg"))]}


async def on_gate_roster(stack: Settings, project_id: str, worker_id: int) -> bool:
    async with await AsyncConnection.connect(stack.postgres_dsn, autocommit=True) as conn:
        cursor = await conn.execute(
            "SELECT 1 FROM gate_roster WHERE project_id = %s AND worker_id = %s",
            (project_id, worker_id),
        )
        return await cursor.fetchone() is not None


async def studied_for(stack: Settings, session_id: int, minutes: int) -> None:
    """As if the study had begun ``minutes`` ago (a test cannot wait half an hour)."""
    async with await AsyncConnection.connect(stack.postgres_dsn, autocommit=True) as conn:
        await conn.execute(
            "UPDATE training_sessions SET started_at = started_at - %s WHERE session_id = %s",
            (timedelta(minutes=minutes), session_id),
        )


async def test_a_course_required_for_access_studied_with_the_face_at_both_ends(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    officer = auth(site.tokens["officer_a"])
    worker = await enrolled_phone_user(http, officer, site.project_a, new_id_number())
    worker_id, me = worker.worker_id, auth(worker.token)
    fence = {"center": {"latitude": SITE[0], "longitude": SITE[1]}, "radius_m": 200}
    fenced = await http.put(
        f"/v1/projects/{site.project_a}/clock-in-fence", json=fence, headers=officer
    )
    assert fenced.status_code == 200, fenced.text
    courses = f"/v1/projects/{site.project_a}/courses"
    assert await on_gate_roster(stack, site.project_a, worker_id)

    # Only a registrar in scope adds courses, and each field is checked.
    assert (await http.post(courses, json=COURSE, headers=me)).status_code == 403
    elsewhere = f"/v1/projects/{site.project_b}/courses"
    assert (await http.post(elsewhere, json=COURSE, headers=officer)).status_code == 403
    bad = await http.post(courses, json={**COURSE, "required_minutes": 0}, headers=officer)
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "required_minutes"
    added = await http.post(courses, json=COURSE, headers=officer)
    assert added.status_code == 201, added.text
    course: dict[str, Any] = added.json()
    assert (course["completed"], course["roster"]) == (0, 1)

    # Not yet trained: off the terminals' roster, and a phone clock-in says why.
    assert not await on_gate_roster(stack, site.project_a, worker_id)
    refused = await http.post("/v1/me/clock-ins", json=clock_in("in", site.project_a), headers=me)
    assert refusal(refused) == ("project_id", "须先完成安全培训《三级安全教育》才能进场")
    listed = await http.get("/v1/me/courses", headers=me)
    assert listed.status_code == 200, listed.text
    mine = listed.json()["items"]
    assert [(c["course_id"], c["completed_at"]) for c in mine] == [(course["course_id"], None)]

    # The face at the start: someone else's face, or a still picture sent twice, is refused.
    studies = f"/v1/me/courses/{course['course_id']}/studies"
    other = {"selfie_jpegs": [b64(photo("biden.jpg")), b64(photo("obama3.jpg"))]}
    assert refusal(await http.post(studies, json=other, headers=me))[0] == "selfie_jpeg"
    still = {"selfie_jpegs": [b64(photo("obama2.jpg"))] * 2}
    assert refusal(await http.post(studies, json=still, headers=me))[0] == "selfie_jpegs"

    # A study abandoned (the page left the front) cannot be finished.
    first = await http.post(studies, json=LIVE, headers=me)
    assert first.status_code == 201, first.text
    abandoned = await http.post(
        f"/v1/me/studies/{first.json()['session_id']}/abandon",
        json={"reason": "hidden"},
        headers=me,
    )
    assert abandoned.json()["state"] == "abandoned"
    await studied_for(stack, first.json()["session_id"], 40)
    late = await http.post(
        f"/v1/me/studies/{first.json()['session_id']}/finish", json=LIVE, headers=me
    )
    assert late.status_code == 409 and "重新开始" in late.json()["message_zh"], late.text

    # The next study: too early to finish, then done after its minutes.
    second = (await http.post(studies, json=LIVE, headers=me)).json()
    finish = f"/v1/me/studies/{second['session_id']}/finish"
    early = await http.post(finish, json=LIVE, headers=me)
    assert early.status_code == 409 and "学习时长不足" in early.json()["message_zh"], early.text
    await studied_for(stack, second["session_id"], 31)
    done = await http.post(finish, json=LIVE, headers=me)
    assert done.status_code == 200 and done.json()["state"] == "completed", done.text
    again = await http.post(finish, json=LIVE, headers=me)
    assert again.status_code == 409

    # Trained: back on the terminals' roster, and the phone clocks in.
    assert await on_gate_roster(stack, site.project_a, worker_id)
    accepted = await http.post("/v1/me/clock-ins", json=clock_in("in", site.project_a), headers=me)
    assert accepted.status_code == 201, accepted.text
    mine = (await http.get("/v1/me/courses", headers=me)).json()["items"]
    assert mine[0]["completed_at"] is not None

    # The officer and the region's regulator see it; another region's regulator does not.
    for viewer in ("officer_a", "regulator_gx"):
        seen = await http.get(courses, headers=auth(site.tokens[viewer]))
        assert seen.json()["items"][0]["completed"] == 1, seen.text
        learners = await http.get(
            f"{courses}/{course['course_id']}/learners", headers=auth(site.tokens[viewer])
        )
        [learner] = learners.json()["items"]
        assert learner["worker_id"] == worker_id and learner["completed_at"] is not None
        assert learner["abandoned"] == 1 and learners.json()["total"] == 1
    assert (await http.get(courses, headers=auth(site.tokens["regulator_bj"]))).status_code == 404
    foreign = await http.post(
        f"/v1/me/courses/{course['course_id']}/studies",
        json=LIVE,
        headers=auth(site.tokens["officer_a"]),
    )
    assert foreign.status_code == 403

"""Safety training on a phone in Chromium, the camera fed from a golden face: a study left
for another tab is abandoned, and the next one, begun and ended with the face check after
the course's minutes, is completed and shown as 已学习."""

from __future__ import annotations

from typing import Any

import httpx
from psycopg import AsyncConnection
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from infra.settings import Settings

from .chromium import log_in, text_of, until
from .people import Site, auth, enrolled_phone_user
from .test_clock_in_in_chromium import phone
from .test_safety_training import COURSE, studied_for
from .test_workers import new_id_number

__all__ = ["phone"]  # the module's fixture: a phone whose camera films a golden face


async def studies_of(stack: Settings, worker_id: int) -> list[tuple[int, str, str | None]]:
    async with await AsyncConnection.connect(stack.postgres_dsn, autocommit=True) as conn:
        cursor = await conn.execute(
            "SELECT session_id, state, abandon_reason FROM training_sessions"
            " WHERE worker_id = %s ORDER BY session_id",
            (worker_id,),
        )
        return [(int(i), str(s), r) for i, s, r in await cursor.fetchall()]


def start_course(browser: WebDriver) -> None:
    browser.find_element(By.CSS_SELECTOR, "tr.course button").click()


async def test_a_course_abandoned_by_leaving_the_page_then_completed(
    stack: Settings, http: httpx.AsyncClient, site: Site, phone: WebDriver
) -> None:
    officer = auth(site.tokens["officer_a"])
    worker = await enrolled_phone_user(http, officer, site.project_a, new_id_number())
    worker_id = worker.worker_id
    added = await http.post(f"/v1/projects/{site.project_a}/courses", json=COURSE, headers=officer)
    assert added.status_code == 201, added.text

    await log_in(phone, stack, worker.id_number, worker.password, lands_on="worker.html")
    phone.find_element(By.LINK_TEXT, "安全培训").click()
    await until(phone, lambda b: "未学习" in text_of(b, "courses"))
    assert text_of(phone, "todo-count") == "1"

    # Begun with the face check, then the worker switches to another tab: abandoned.
    start_course(phone)
    await until(phone, lambda b: b.find_element(By.ID, "study").is_displayed(), 30)
    assert "安全帽" in text_of(phone, "study-content")
    studying = phone.current_window_handle
    phone.switch_to.new_window("tab")
    phone.close()
    phone.switch_to.window(studying)
    await until(phone, lambda b: "学习已中断" in text_of(b, "error"))
    first: list[Any] = await studies_of(stack, worker_id)
    assert [(state, reason) for _, state, reason in first] == [("abandoned", "hidden")]

    # Again, this time staying; the course's minutes pass (in the database), then the
    # face check at the end completes it.
    start_course(phone)
    await until(phone, lambda b: b.find_element(By.ID, "study").is_displayed(), 30)
    [(session_id, state, _)] = (await studies_of(stack, worker_id))[1:]
    assert state == "watching"
    phone.find_element(By.ID, "finish").click()
    await until(phone, lambda b: "学习时长不足" in text_of(b, "error"), 30)
    await studied_for(stack, session_id, COURSE["required_minutes"])  # type: ignore[arg-type]
    phone.find_element(By.ID, "finish").click()
    await until(phone, lambda b: text_of(b, "notice") == "学习完成，已记录", 30)
    await until(phone, lambda b: "已学习" in text_of(b, "courses"))
    assert text_of(phone, "done-count") == "1"
    assert (await studies_of(stack, worker_id))[1][1] == "completed"

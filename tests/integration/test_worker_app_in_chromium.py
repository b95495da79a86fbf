"""The worker app on a phone (Chromium's device emulation): the first login changes the
initial password in the page, and a notice arrives in the inbox, is shown unread, and is
marked read with a tap."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.select import Select

from infra.settings import Settings
from streams.local_time import BEIJING

from .chromium import log_in, open_browser, text_of, until
from .helpers import wait_until
from .people import PASSWORD, Site, auth, enrolled_phone_user, worker_body, worker_with_password
from .test_faces_end_to_end import Gate, frame
from .test_worker_duties import shanghai_project
from .test_worker_inbox import missed_exit, open_alert
from .test_workers import new_id_number


@pytest.fixture(scope="module")
def phone() -> Iterator[WebDriver]:
    yield from open_browser(phone=True)


def fill(browser: WebDriver, element_id: str, text: str) -> None:
    field = browser.find_element(By.ID, element_id)
    field.clear()
    field.send_keys(text)


async def test_first_login_on_a_phone_then_a_notice_in_the_inbox(
    stack: Settings, http: httpx.AsyncClient, site: Site, phone: WebDriver
) -> None:
    id_number = new_id_number()
    registered = await http.post(
        "/v1/workers",
        json=worker_body(id_number, site.project_a),
        headers=auth(site.tokens["officer_a"]),
    )
    assert registered.status_code == 201, registered.text
    worker_id = int(registered.json()["worker"]["worker_id"])

    phone.get(f"http://{stack.bind_host}:{stack.realtime_port}/")
    phone.execute_script("sessionStorage.clear()")
    assert phone.execute_script("return window.innerWidth") == 390
    fill(phone, "account", id_number)
    fill(phone, "password", id_number[-6:])  # the initial password
    phone.find_element(By.ID, "submit").click()
    await until(phone, lambda b: b.find_element(By.ID, "change").is_displayed())
    assert "首次登录" in text_of(phone, "change")

    fill(phone, "new-password", "short1")
    fill(phone, "repeat-password", "short1")
    phone.find_element(By.ID, "change-submit").click()
    await until(phone, lambda b: text_of(b, "error") == "新密码至少8位")  # the server's rule
    fill(phone, "new-password", "gongren2026")
    fill(phone, "repeat-password", "gongren2027")
    phone.find_element(By.ID, "change-submit").click()
    await until(phone, lambda b: text_of(b, "error") == "两次输入的新密码不一致")
    fill(phone, "repeat-password", "gongren2026")
    phone.find_element(By.ID, "change-submit").click()
    await until(phone, lambda b: "worker.html" in b.current_url)
    # The user agreement, once: it covers the page until accepted.
    await until(phone, lambda b: b.find_element(By.ID, "agreement").is_displayed())
    assert "身份证号" in text_of(phone, "agreement-text")
    phone.find_element(By.ID, "agree").click()
    await until(phone, lambda b: not b.find_element(By.ID, "agreement").is_displayed())
    await until(phone, lambda b: text_of(b, "status") == "已连接")
    # Laid out for the phone: nothing wider than its screen.
    width = phone.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, width

    await open_alert(stack, missed_exit(worker_id, site.project_a, "2026-11-29"))
    await until(phone, lambda b: text_of(b, "unread").endswith("条未读"))  # 1, or 2 if cleared
    item = phone.find_elements(By.CSS_SELECTOR, "#notifications li.unread")[-1]  # the oldest
    assert "考勤通知" in item.text and "未刷卡离场" in item.text
    tapped = item.get_attribute("data-id")
    item.click()
    # That notice is read. (Celery beat's next evaluation may meanwhile clear the alert,
    # which is another notice, unread: so the badge is not expected to vanish.)
    read = f"#notifications li.notice-item:not(.unread)[data-id='{tapped}']"
    await until(phone, lambda b: b.find_elements(By.CSS_SELECTOR, read))
    assert not phone.find_elements(By.CSS_SELECTOR, f"li.unread[data-id='{tapped}']")

    # Logging in again needs the new password: the initial one is spent.
    relogin = await http.post(
        "/v1/auth/login", json={"login": id_number, "password": "gongren2026"}
    )
    assert relogin.status_code == 200 and not relogin.json()["must_change_password"]
    terms = await http.get("/v1/me/agreement", headers=auth(relogin.json()["token"]))
    assert terms.json()["accepted_at"] is not None  # accepted in the page, once, recorded


async def test_last_months_calendar_opens_a_day_with_its_capture_photos(
    stack: Settings, http: httpx.AsyncClient, site: Site, phone: WebDriver
) -> None:
    officer = auth(site.tokens["officer_a"])
    worker = await enrolled_phone_user(http, officer, site.project_a, new_id_number())
    # A gate's backlog: the worker's face in and out on the 10th of last month (Beijing).
    this_month = datetime.now(BEIJING).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    day = (this_month - timedelta(days=1)).replace(day=10)
    gate = Gate(stack, site.project_a)
    came: dict[str, Any] = {}

    async def recognised() -> bool:  # once the enrolment reaches the streams' gallery
        came.update(await gate.passes(frame("obama2.jpg"), at=day.replace(hour=7, minute=58)))
        return bool(came["worker_id"] == str(worker.worker_id))

    await wait_until(recognised, timeout_s=30)
    left = await gate.passes(
        frame("obama3.jpg"), at=day.replace(hour=17, minute=31), direction="out"
    )
    assert left["worker_id"] == str(worker.worker_id)

    # The capture photos are the worker's own to see, and nobody else's.
    mine = await http.get(f"/v1/snapshots/{came['snapshot_ref']}", headers=auth(worker.token))
    assert mine.status_code == 200 and mine.content[:2] == b"\xff\xd8"
    _, other, _ = await worker_with_password(http, officer, site.project_a, new_id_number())
    theirs = await http.get(f"/v1/snapshots/{came['snapshot_ref']}", headers=auth(other))
    assert theirs.status_code == 404

    await log_in(phone, stack, worker.id_number, worker.password, lands_on="worker.html")
    await until(phone, lambda b: b.find_elements(By.CSS_SELECTOR, "#month-grid button"))
    phone.find_element(By.ID, "prev-month").click()
    label = f"{day.year}年{day.month}月"
    await until(phone, lambda b: text_of(b, "month") == label and text_of(b, "month-days") == "1")
    attended = phone.find_element(By.CSS_SELECTOR, "#month-grid button.attended")
    assert attended.get_attribute("data-day") == day.date().isoformat()
    attended.click()
    await until(phone, lambda b: len(b.find_elements(By.CSS_SELECTOR, "tr.day-pass img")) == 2)
    rows = [row.text for row in phone.find_elements(By.CSS_SELECTOR, "tr.day-pass")]
    assert rows[0].startswith("07:58") and "进场" in rows[0] and "人脸" in rows[0]
    assert rows[1].startswith("17:31") and "出场" in rows[1]
    assert gate.device.device_id in rows[0]
    assert "在场 9.6 小时" in text_of(phone, "day-summary")  # 07:58 to 17:31
    shown = phone.execute_script(
        "return [...document.querySelectorAll('tr.day-pass img')].map((i) => i.naturalWidth)"
    )
    assert all(width > 0 for width in shown), shown  # the photos themselves, decoded
    width = phone.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, width


async def test_a_shanghai_worker_confirms_employment_and_records_a_health_check_on_the_phone(
    stack: Settings, http: httpx.AsyncClient, site: Site, phone: WebDriver
) -> None:
    shanghai = await shanghai_project(stack, http, site)
    clinic = {"region_code": "310000", "name": f"上海体检中心{shanghai.project_id}"}
    listed = await http.post("/v1/health-institutions", json=clinic, headers=shanghai.regulator)
    assert listed.status_code == 201, listed.text
    id_number = new_id_number()
    _, _, password = await worker_with_password(
        http, shanghai.officer, shanghai.project_id, id_number
    )
    await log_in(phone, stack, id_number, password, lands_on="worker.html")
    await until(phone, lambda b: text_of(b, "duties-todo") == "请确认聘用信息、填写健康体检信息 ›")
    phone.find_element(By.ID, "duties-todo").click()

    # The terms as the worker reads them, confirmed with a tap.
    confirm = "section.employment button.confirm"
    await until(phone, lambda b: b.find_elements(By.CSS_SELECTOR, confirm))
    terms = phone.find_element(By.CSS_SELECTOR, "section.employment").text
    assert "待确认" in terms and "木工" in terms and "2026-11-02" in terms
    phone.find_element(By.CSS_SELECTOR, confirm).click()
    await until(phone, lambda b: "已确认" in text_of(b, "employment-result"))
    await until(phone, lambda b: not b.find_elements(By.CSS_SELECTOR, confirm))

    # A health check at the listed institution: chosen from the list, dated, submitted.
    await until(phone, lambda b: clinic["name"] in text_of(b, "institution"))
    Select(phone.find_element(By.ID, "institution")).select_by_visible_text(clinic["name"])
    examined = (datetime.now(BEIJING).date() - timedelta(days=10)).isoformat()
    phone.execute_script("document.getElementById('examined-on').value = arguments[0]", examined)
    phone.find_element(By.ID, "health-submit").click()
    await until(phone, lambda b: text_of(b, "health-result") == "体检信息已保存")
    assert text_of(phone, "health-latest") == f"最近一次体检：{examined}，{clinic['name']}，合格"
    width = phone.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, width

    # The officer sees both done.
    await log_in(phone, stack, shanghai.officer_login, PASSWORD, lands_on="project.html")
    phone.get(
        f"http://{stack.bind_host}:{stack.realtime_port}/duties.html?project={shanghai.project_id}"
    )
    await until(phone, lambda b: "已确认" in text_of(b, "workers"))
    assert (text_of(phone, "pending-count"), text_of(phone, "unchecked-count")) == ("0", "0")
    assert clinic["name"] in text_of(phone, "workers") and "合格" in text_of(phone, "workers")

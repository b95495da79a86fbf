"""The worker app on a phone (Chromium's device emulation): the first login changes the
initial password in the page, and a notice arrives in the inbox, is shown unread, and is
marked read with a tap."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from infra.settings import Settings

from .chromium import open_browser, text_of, until
from .people import Site, auth, worker_body
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
    await until(phone, lambda b: text_of(b, "status") == "已连接")
    # Laid out for the phone: nothing wider than its screen.
    width = phone.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, width

    await open_alert(stack, missed_exit(worker_id, site.project_a, "2026-11-29"))
    await until(phone, lambda b: text_of(b, "unread") == "1 条未读")
    item = phone.find_element(By.CSS_SELECTOR, "#notifications li.unread")
    assert "考勤通知" in item.text and "未刷卡离场" in item.text
    item.click()
    await until(phone, lambda b: not b.find_element(By.ID, "unread").is_displayed())
    assert not phone.find_elements(By.CSS_SELECTOR, "#notifications li.unread")

    # Logging in again needs the new password: the initial one is spent.
    relogin = await http.post(
        "/v1/auth/login", json={"login": id_number, "password": "gongren2026"}
    )
    assert relogin.status_code == 200 and not relogin.json()["must_change_password"]

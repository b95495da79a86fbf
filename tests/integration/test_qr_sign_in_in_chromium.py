"""Pre-shift QR sign-in on phones in Chromium, each way round: the officer's phone films a
worker's personal code, and a worker's phone films the project's sign-in code (Chromium's
fake camera playing the code; the location set through the DevTools protocol)."""

from __future__ import annotations

import base64
from pathlib import Path

import cv2
import httpx
import numpy as np
import segno
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from infra.settings import Settings

from .chromium import camera_of, log_in, open_browser, text_of, until
from .people import PASSWORD, Site, auth, worker_with_password
from .test_mobile_clock_in import NEARBY, SITE
from .test_workers import new_id_number


def qr_picture(text: str) -> np.ndarray:
    png = segno.make(text, error="m").png_data_uri(scale=8, border=4).split(",", 1)[1]
    picture = cv2.imdecode(np.frombuffer(base64.b64decode(png), np.uint8), cv2.IMREAD_COLOR)
    assert picture is not None
    return picture


def on_site(browser: WebDriver, stack: Settings) -> None:
    origin = f"http://{stack.bind_host}:{stack.realtime_port}"
    browser.execute_cdp_cmd(
        "Browser.grantPermissions", {"origin": origin, "permissions": ["geolocation"]}
    )
    browser.execute_cdp_cmd(
        "Emulation.setGeolocationOverride",
        {"latitude": NEARBY[0], "longitude": NEARBY[1], "accuracy": 10},
    )


async def test_a_sign_in_each_way_round_on_phones(
    stack: Settings, http: httpx.AsyncClient, site: Site, tmp_path: Path
) -> None:
    officer = auth(site.tokens["officer_a"])
    fence = {"center": {"latitude": SITE[0], "longitude": SITE[1]}, "radius_m": 200}
    set_up = await http.put(
        f"/v1/projects/{site.project_a}/clock-in-fence", json=fence, headers=officer
    )
    assert set_up.status_code == 200, set_up.text
    _, token, _ = await worker_with_password(http, officer, site.project_a, new_id_number())
    id_number = new_id_number()
    _, _, password = await worker_with_password(http, officer, site.project_a, id_number)

    # The officer films the worker's personal code.
    personal = (await http.get("/v1/me/personal-code", headers=auth(token))).json()["code"]
    camera = camera_of(tmp_path, qr_picture(personal))
    for phone in open_browser(phone=True, camera=camera):
        on_site(phone, stack)
        await log_in(phone, stack, site.logins["officer_a"], PASSWORD, lands_on="project.html")
        phone.get(
            f"http://{stack.bind_host}:{stack.realtime_port}/signin.html?project={site.project_a}"
        )
        phone.find_element(By.ID, "show-code").click()  # the code workers would film
        await until(phone, lambda b: bool(b.find_elements(By.CSS_SELECTOR, "#project-qr svg")))
        await until(phone, lambda b: "秒后刷新" in text_of(b, "project-expiry"))
        phone.find_element(By.ID, "scan-worker").click()
        await until(phone, lambda b: text_of(b, "scan-result").endswith("班前签到成功"), 60)
        assert text_of(phone, "signed-count") == "1"
        assert "已签到" in text_of(phone, "signed")

    # Another worker films the project's sign-in code on the officer's screen.
    shown = (await http.get(f"/v1/projects/{site.project_a}/sign-in-code", headers=officer)).json()
    camera = camera_of(tmp_path, qr_picture(shown["code"]))
    for phone in open_browser(phone=True, camera=camera):
        on_site(phone, stack)
        await log_in(phone, stack, id_number, password, lands_on="worker.html")
        phone.find_element(By.ID, "show-code").click()  # the worker's own code
        await until(phone, lambda b: bool(b.find_elements(By.CSS_SELECTOR, "#personal-qr svg")))
        phone.find_element(By.ID, "scan-code").click()
        await until(phone, lambda b: "班前签到成功" in text_of(b, "sign-in-result"), 60)
        assert text_of(phone, "sign-in-result").startswith("韦小宝 班前签到成功")

"""Mobile clock-in on a phone in Chromium: the location set through the DevTools protocol,
the camera fed from a golden face (Chromium's fake capture device playing a Y4M file).
Inside the fence the worker's own face clocks in; outside, the page says why not."""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from infra.settings import Settings
from tests.golden import golden_photos

from .chromium import camera_of, log_in, open_browser, text_of, until
from .people import Site, auth, enrolled_phone_user
from .test_mobile_clock_in import ACROSS_TOWN, NEARBY, SITE
from .test_workers import new_id_number


@pytest.fixture(scope="module")
def phone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    face = cv2.imread(str(golden_photos()["obama2.jpg"]))
    assert face is not None
    camera = camera_of(tmp_path_factory.mktemp("camera"), face)
    yield from open_browser(phone=True, camera=camera)


def place_phone(browser: WebDriver, at: tuple[float, float], accuracy_m: float = 12) -> None:
    browser.execute_cdp_cmd(
        "Emulation.setGeolocationOverride",
        {"latitude": at[0], "longitude": at[1], "accuracy": accuracy_m},
    )


async def test_clock_in_from_a_phone_inside_the_fence_and_refused_outside(
    stack: Settings, http: httpx.AsyncClient, site: Site, phone: WebDriver
) -> None:
    officer = auth(site.tokens["officer_a"])
    worker = await enrolled_phone_user(http, officer, site.project_a, new_id_number())
    fence = {"center": {"latitude": SITE[0], "longitude": SITE[1]}, "radius_m": 200}
    set_up = await http.put(
        f"/v1/projects/{site.project_a}/clock-in-fence", json=fence, headers=officer
    )
    assert set_up.status_code == 200, set_up.text

    origin = f"http://{stack.bind_host}:{stack.realtime_port}"
    phone.execute_cdp_cmd(
        "Browser.grantPermissions", {"origin": origin, "permissions": ["geolocation"]}
    )
    await log_in(phone, stack, worker.id_number, worker.password, lands_on="worker.html")
    await until(phone, lambda b: b.find_element(By.ID, "clock-project").get_attribute("value"))
    assert phone.find_element(By.ID, "clock-project").get_attribute("value") == site.project_a

    place_phone(phone, NEARBY)
    phone.find_element(By.ID, "clock-in").click()
    await until(phone, lambda b: text_of(b, "clock-result").startswith("上班打卡成功"), 60)

    place_phone(phone, ACROSS_TOWN)
    phone.find_element(By.ID, "clock-out").click()
    await until(phone, lambda b: "不在项目打卡范围内" in text_of(b, "clock-result"), 60)
    assert "error" in (phone.find_element(By.ID, "clock-result").get_attribute("class") or "")

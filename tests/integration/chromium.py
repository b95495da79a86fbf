"""Driving Debian's Chromium (through Debian's chromium-driver) in the page tests."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from infra.settings import Settings

#: A phone as Chromium's device emulation sets it up: viewport, pixel ratio, touch, agent.
PHONE = {
    "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 3.0, "touch": True},
    "userAgent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/156.0 Mobile Safari/537.36"
    ),
}


def open_browser(*, phone: bool = False, camera: Path | None = None) -> Iterator[WebDriver]:
    """Headless Chromium for one test module (the ``browser`` fixture in conftest), as a
    phone's browser with ``phone``, its camera playing the MJPEG file ``camera``."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and driver, "scripts/test installs chromium and chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=zh-CN"):
        options.add_argument(argument)
    if phone:
        options.add_experimental_option("mobileEmulation", PHONE)
    if camera is not None:
        options.add_argument("--use-fake-ui-for-media-stream")  # the camera prompt: allow
        options.add_argument("--use-fake-device-for-media-stream")
        options.add_argument(f"--use-file-for-fake-video-capture={camera}")
    session = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    try:
        yield session
    finally:
        session.quit()


def camera_of(folder: Path, picture: np.ndarray) -> Path:
    """Three seconds of 'camera' of ``picture`` (BGR), drifting from frame to frame as a
    hand-held phone does: a Y4M file (YUV 4:2:0, 10 frames a second) that Chromium's fake
    capture device plays in a loop (``open_browser(camera=...)``)."""
    height, width = 480, 640
    scale = min(width / picture.shape[1], height / picture.shape[0]) * 0.8
    small = cv2.resize(picture, (int(picture.shape[1] * scale), int(picture.shape[0] * scale)))
    path = folder / "camera.y4m"
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for step in range(30):
            frame = np.full((height, width, 3), 40, np.uint8)
            x0 = (width - small.shape[1]) // 2 + 4 * ((step % 10) - 5)
            y0 = (height - small.shape[0]) // 2
            frame[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = small
            out.write(b"FRAME\n")
            out.write(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
    return path


def text_of(browser: WebDriver, element_id: str) -> str:
    return str(browser.find_element(By.ID, element_id).text)


async def until(browser: WebDriver, condition: object, timeout_s: float = 20) -> None:
    """Wait in a thread, so the test's event loop keeps serving meanwhile."""

    def wait() -> None:
        # A page may redraw what a condition reads: a stale element is read again.
        WebDriverWait(
            browser,
            timeout_s,
            poll_frequency=0.2,
            ignored_exceptions=(StaleElementReferenceException,),
        ).until(condition)

    try:
        await asyncio.to_thread(wait)
    except TimeoutException:
        raise AssertionError(
            f"page never got there; it shows:\n{browser.find_element(By.TAG_NAME, 'body').text}"
        ) from None


async def log_in(
    browser: WebDriver, stack: Settings, account: str, password: str, *, lands_on: str
) -> None:
    """Log in on the start page and wait until the page it leads to is live."""
    browser.get(f"http://{stack.bind_host}:{stack.realtime_port}/")
    browser.execute_script("sessionStorage.clear()")
    browser.find_element(By.ID, "account").send_keys(account)
    browser.find_element(By.ID, "password").send_keys(password)
    browser.find_element(By.ID, "submit").click()
    await until(browser, lambda b: lands_on in b.current_url)
    await until(browser, lambda b: text_of(b, "status") == "已连接")

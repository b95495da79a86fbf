"""The dashboard pages in headless Chromium (Debian's, through Debian's chromium-driver):
log in, watch the project page change as gates post passes, and see the scopes hold."""

from __future__ import annotations

import asyncio
import secrets
import uuid

import httpx
from psycopg import AsyncConnection
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from api.seed import DEMO_PASSWORD, build_sample, load_sample
from api.stores.devices import DeviceRecord, provision_devices
from infra.settings import Settings

from .chromium import log_in, text_of, until
from .helpers import new_device, pass_item, post_passes
from .people import PASSWORD, Site, auth, login, worker_with_password
from .test_workers import new_id_number


def drawn(browser: WebDriver, chart: str) -> bool:
    return bool(browser.find_element(By.ID, chart).get_attribute("data-ready") == "yes")


def assert_drawn(browser: WebDriver, chart: str) -> None:
    element = browser.find_element(By.ID, chart)
    assert element.get_attribute("data-ready") == "yes", f"{chart} was not drawn"
    assert element.find_elements(By.TAG_NAME, "canvas"), f"{chart} has no canvas"


async def test_the_project_page_follows_passes_and_refuses_other_projects(
    stack: Settings, site: Site, browser: WebDriver
) -> None:
    await log_in(browser, stack, site.logins["officer_a"], PASSWORD, lands_on="project.html")
    assert text_of(browser, "headcount") in ("—", "0")
    device = new_device(stack, site.project_a)
    items = [
        pass_item(1, worker_id="W-B1", direction="in", minutes_ago=1, method="card"),
        pass_item(2, worker_id=None, direction="in", minutes_ago=1, method="face", score=0.2),
    ]
    assert (await post_passes(stack, device, items)).status_code == 202
    await until(browser, lambda b: text_of(b, "headcount") == "1")
    await until(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "#feed tr")) == 2)
    feed = text_of(browser, "feed")
    assert "W-B1" in feed and "进场" in feed and "未识别人脸" in feed and "刷卡" in feed
    assert "未登记工种" in text_of(browser, "trades")

    browser.get(
        f"http://{stack.bind_host}:{stack.realtime_port}/project.html?project={site.project_b}"
    )
    await until(browser, lambda b: text_of(b, "error") == "无权查看该项目")


async def test_the_worker_page_shows_only_the_workers_own_passes(
    stack: Settings, http: httpx.AsyncClient, site: Site, browser: WebDriver
) -> None:
    officer = auth(site.tokens["officer_a"])
    id_number = new_id_number()
    me, _, password = await worker_with_password(http, officer, site.project_a, id_number)
    other, _, _ = await worker_with_password(http, officer, site.project_a, new_id_number())
    await log_in(browser, stack, id_number, password, lands_on="worker.html")
    device = new_device(stack, site.project_a)
    items = [
        pass_item(1, worker_id=str(other), direction="in", minutes_ago=2),
        pass_item(2, worker_id=str(me), direction="in", minutes_ago=1),
    ]
    assert (await post_passes(stack, device, items)).status_code == 202
    await until(browser, lambda b: text_of(b, "today-count") == "1")
    await asyncio.sleep(1)
    rows = browser.find_elements(By.CSS_SELECTOR, "#today tr")
    assert len(rows) == 1 and site.project_a in rows[0].text and "进场" in rows[0].text


async def test_the_regulator_overview_lists_the_region_and_updates_headcounts(
    stack: Settings, site: Site, browser: WebDriver
) -> None:
    await log_in(browser, stack, site.logins["regulator_gx"], PASSWORD, lands_on="region.html")
    row_id = f"project-{site.project_a}"
    assert browser.find_elements(By.ID, row_id), "project A is in Guangxi"
    assert not browser.find_elements(By.ID, f"project-{site.project_b}")  # Beijing's is not
    device = new_device(stack, site.project_a)
    item = pass_item(1, worker_id="W-G1", direction="in", minutes_ago=1)
    assert (await post_passes(stack, device, [item])).status_code == 202
    await until(
        browser,
        lambda b: b.find_element(By.CSS_SELECTOR, f"#{row_id} .headcount").text == "1",
    )
    assert_drawn(browser, "projects-chart")  # roster against today's attendance, by project
    shown = len(browser.find_elements(By.CSS_SELECTOR, "#rows tr"))
    assert text_of(browser, "projects") == str(shown)  # one page: every project is listed
    assert text_of(browser, "page-note") == f"共 {shown} 个项目"


async def test_the_project_page_names_teams_and_trades_and_counts_the_whole_day(
    stack: Settings, http: httpx.AsyncClient, browser: WebDriver
) -> None:
    """The sample region as `scripts/demo` loads it: teams by name, workers by their
    registered trade, and 今日通行 the day's passes, not only those since the page opened."""
    load_sample(stack.postgres_dsn, build_sample(projects=1, workers=12, seed=5))
    async with await AsyncConnection.connect(stack.postgres_dsn) as conn:
        cursor = await conn.execute(
            "SELECT m.worker_id::text, w.trade, t.name FROM memberships m"
            " JOIN workers w USING (worker_id) JOIN teams t USING (team_id)"
            " WHERE m.project_id = 'P001' AND w.trade <> '' ORDER BY m.worker_id LIMIT 1"
        )
        worker, trade, team = await cursor.fetchone() or ("", "", "")
    token = (await login(http, "officer-p001", DEMO_PASSWORD)).json()["token"]

    async def passes_today() -> int:
        body = (await http.get("/v1/overview?project_id=P001", headers=auth(token))).json()
        return int(body["projects"][0]["passes"])

    before = await passes_today()
    # Not P001-G1: that is a gate of the simulator's sample sites.
    device = DeviceRecord(f"P001-T{uuid.uuid4().hex[:8]}", "P001", secrets.token_hex(24))
    provision_devices(stack.postgres_dsn, [device])
    items = [
        pass_item(1, worker_id=worker, direction="in", minutes_ago=3),
        pass_item(2, worker_id="W-visitor", direction="in", minutes_ago=2, method="card"),
        pass_item(3, worker_id="W-visitor", direction="out", minutes_ago=1, method="card"),
    ]
    assert (await post_passes(stack, device, items)).status_code == 202
    for _ in range(100):
        if await passes_today() >= before + 3:
            break
        await asyncio.sleep(0.2)
    stored = await passes_today()
    assert stored >= before + 3

    await log_in(browser, stack, "officer-p001", DEMO_PASSWORD, lands_on="project.html")
    await until(browser, lambda b: text_of(b, "count").replace(",", "") == str(stored))
    await until(browser, lambda b: team in text_of(b, "teams"))
    for chart in ("trend-chart", "headcount-chart"):  # 14 days of attendance; headcount
        await until(browser, lambda b, c=chart: drawn(b, c))
        assert_drawn(browser, chart)
    teams = text_of(browser, "teams")
    assert not any(line.split()[0].isdigit() for line in teams.splitlines() if line.strip())
    await until(browser, lambda b: trade in text_of(b, "trades"))

    later = pass_item(4, worker_id="W-visitor", direction="in", minutes_ago=0, method="card")
    assert (await post_passes(stack, device, [later])).status_code == 202
    await until(browser, lambda b: text_of(b, "count").replace(",", "") == str(stored + 1))

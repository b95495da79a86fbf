"""The attendance endpoints over HTTP, on passes that went through the real stack."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import httpx
from psycopg import AsyncConnection

from infra.settings import Settings
from streams.local_time import BEIJING

from .helpers import new_device, post_passes, wait_until
from .people import Site, auth, register_worker
from .test_attendance_stream import YESTERDAY, attendance, swipe


async def test_calendar_detail_figures_rates_presence_and_overview(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    officer = auth(site.tokens["officer_a"])
    worker = str(await register_worker(http, officer, site.project_a))
    device = new_device(stack, site.project_a)
    now = datetime.now(UTC)
    # Ten minutes ago, but never before today's Beijing midnight (then it would be yesterday's).
    midnight = datetime.combine(now.astimezone(BEIJING).date(), time(), BEIJING)
    recent = max(now - timedelta(minutes=10), midnight + timedelta(minutes=1))
    passes = [
        swipe(1, worker, "07:30", "in"),
        swipe(2, worker, "17:30", "out"),
        swipe(3, worker, recent.isoformat(), "in"),
    ]
    assert (await post_passes(stack, device, passes)).status_code == 202
    today = recent.astimezone(BEIJING).date()
    await wait_until(lambda: today in attendance(stack, site.project_a, worker))

    month = f"{YESTERDAY:%Y-%m}"
    calendar = await http.get(f"/v1/workers/{worker}/attendance?month={month}", headers=officer)
    assert calendar.status_code == 200, calendar.text
    days = {d["day"]: d for d in calendar.json()["days"]}
    assert days[YESTERDAY.isoformat()]["seconds_on_site"] == 10 * 3600
    assert days[YESTERDAY.isoformat()]["first_in"].endswith("Z")
    detail = await http.get(f"/v1/workers/{worker}/attendance/{YESTERDAY}", headers=officer)
    assert [p["direction"] for p in detail.json()["passes"]] == ["in", "out"]
    outsider = auth(site.tokens["officer_b"])
    hidden = await http.get(f"/v1/workers/{worker}/attendance?month={month}", headers=outsider)
    assert hidden.status_code == 404

    base = f"/v1/projects/{site.project_a}"
    figures = await http.get(f"{base}/attendance?from={YESTERDAY}&to={YESTERDAY}", headers=officer)
    assert figures.status_code == 200, figures.text
    [day] = figures.json()["items"]
    assert (day["workers"], day["roster"], day["attendance_rate"]) == (1, 1, 1.0)
    by_trade_url = f"{base}/attendance?from={YESTERDAY}&to={today}&period=month&group=trade"

    async def grouped_by_trade() -> bool:
        by_trade = await http.get(by_trade_url, headers=officer)
        return {item["group"] for item in by_trade.json()["items"]} == {"木工"}

    await wait_until(grouped_by_trade)  # the trade may reach streams just after the passes
    update = await http.get(f"{base}/attendance/update-rate?days=7", headers=officer)
    assert update.json()["roster"] == 1 and update.json()["rate"] == 1.0

    async with await AsyncConnection.connect(stack.postgres_dsn, autocommit=True) as conn:
        await conn.execute(
            "INSERT INTO key_positions (project_id, worker_id, position, status, requested_by,"
            " entry_decided_by, entry_decided_at) VALUES (%s, %s, 'safety_officer', 'active',"
            " 'test', 'test', %s)",
            (site.project_a, int(worker), datetime.combine(YESTERDAY, datetime.min.time())),
        )
    key = await http.get(f"{base}/key-positions/presence?month={month}", headers=officer)
    assert key.status_code == 200, key.text
    attended = {YESTERDAY, today} if today.month == YESTERDAY.month else {YESTERDAY}
    [holder] = key.json()["items"]
    assert holder["position"] == "safety_officer" and holder["days_present"] == len(attended)
    assert key.json()["working_days"] == len(attended) and holder["rate"] == 1.0

    live = await http.get(f"{base}/presence", headers=officer)
    assert live.json()["headcount"] == 1 and live.json()["workers"] == [worker]
    regulator = auth(site.tokens["regulator_gx"])
    overview = await http.get(f"/v1/overview?day={today}", headers=regulator)
    assert overview.status_code == 200, overview.text
    mine = {p["project_id"]: p for p in overview.json()["projects"]}[site.project_a]
    assert (mine["headcount_now"], mine["workers_today"], mine["roster"]) == (1, 1, 1)
    whole = overview.json()
    assert whole["total_projects"] == len(whole["projects"])
    # A page past the end lists nothing; the totals and headcounts still cover every project.
    past = f"/v1/overview?day={today}&limit=1&offset={whole['total_projects']}"
    page = (await http.get(past, headers=regulator)).json()
    assert page["projects"] == [] and page["total_projects"] == whole["total_projects"]
    assert page["totals"] == whole["totals"] and page["headcounts"][site.project_a] == 1
    assert len(page["headcounts"]) == whole["total_projects"]
    beijing = await http.get("/v1/overview", headers=auth(site.tokens["regulator_bj"]))
    assert site.project_a not in {p["project_id"] for p in beijing.json()["projects"]}

    for query, field in (("month=2026-13", "month"), ("month=soon", "month")):
        bad = await http.get(f"/v1/workers/{worker}/attendance?{query}", headers=officer)
        assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == field
    bad_period = await http.get(f"{base}/attendance?period=year", headers=officer)
    assert bad_period.status_code == 422
    assert bad_period.json()["problems"][0]["field"] == "period"
    reversed_range = await http.get(
        f"{base}/attendance?from={today}&to={YESTERDAY}", headers=officer
    )
    assert reversed_range.status_code == 422

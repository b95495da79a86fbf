"""The wage warnings on the real stack: recorded attendance and payments in ClickHouse and
PostgreSQL, the rules run by the real Celery worker, and each warning fires and clears.
The late payroll fires past the pay day and clears when the bank return is reconciled,
through the API's payroll steps and the streams worker's wage sink."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
from psycopg import AsyncConnection
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from alerts.wage_rules import due_month, pay_date, previous_month
from analytics.attendance_sink import ATTENDANCE_COLUMNS, AttendanceRecord
from analytics.clickhouse import connect
from analytics.executor import DriverExecutor
from analytics.wage_sink import LINE_COLUMNS
from infra.settings import Settings
from realtime.client import LiveSubscriber
from streams.attendance.timeline import AttendanceDay
from streams.local_time import BEIJING

from .chromium import log_in, text_of, until
from .helpers import wait_until
from .people import PASSWORD, Site, auth
from .receiver import Mailbox, StandInBank
from .test_alerts import alerts_of, evaluate
from .test_payroll import (
    bank_keypair,
    bind,
    card_number,
    contracted_worker,
    payroll_officer,
    wage_account,
)

TODAY = datetime.now(BEIJING).date()
DUE = due_month(TODAY, 15)  # the published default pay day
# Attended two months back and unpaid: red. Early in a month (up to the pay day) that is
# the due month itself, so the tests record a separate back month only when there is one.
BACK = previous_month(previous_month(TODAY))


def record_days(stack: Settings, project: str, worker: str, month: Any, days: int) -> None:
    rows = []
    for offset in range(days):
        day = month.replace(day=1) + timedelta(days=offset)
        figures = AttendanceDay(day, None, None, 8 * 3600, 1, 2, 0, frozenset(), False)
        rows.append(AttendanceRecord(project, worker, "", "", figures, 1).row())
    DriverExecutor(connect(stack.clickhouse_url)).insert(
        "attendance_days", ATTENDANCE_COLUMNS, rows
    )


def record_pay(
    stack: Settings, project: str, worker: str, month: Any, yuan: int, *, line: int, version: int
) -> None:
    """A paid wage line as the wage sink writes it (the newest version wins)."""
    paid_on = (month.replace(day=1) + timedelta(days=35)).replace(day=2)  # in M+1
    row = (line, line, project, 1, month.replace(day=1), "regular", worker, 1, 1, 20,
           yuan * 100, "paid", paid_on, "", version)  # fmt: skip
    DriverExecutor(connect(stack.clickhouse_url)).insert("wage_lines", LINE_COLUMNS, [row])


async def recorded_wage_account(stack: Settings, site: Site, project: str, number: str) -> None:
    """A wage account as if opened and verified (the API's own steps are tested elsewhere)."""
    async with await AsyncConnection.connect(stack.postgres_dsn, autocommit=True) as conn:
        await conn.execute(
            "INSERT INTO wage_accounts (project_id, enterprise_id, bank_code, account_number,"
            " account_name, opened_on, verification, verified_by) VALUES (%s, %s, 'ICBC',"
            " %s, '专户', '2026-01-01', 'manual', 'test')",
            (project, site.enterprise_id, number),
        )


def row_of(browser: WebDriver, project: str) -> str:
    """The project's row of the dashboard, read in one script call (the page may be
    redrawing the table meanwhile)."""
    texts = browser.execute_script(
        "return [...document.querySelectorAll('tr.wage-row')].map((row) => row.innerText)"
    )
    return next((str(text) for text in texts if str(text).startswith(project)), "")


async def arrears_of(
    http: httpx.AsyncClient, token: str, project: str
) -> dict[str, dict[str, Any]]:
    """The project's arrears alerts by month."""
    response = await http.get(f"/v1/alerts?project_id={project}", headers=auth(token))
    assert response.status_code == 200, response.text
    return {a["window"]: a for a in response.json()["items"] if a["rule"] == "wage_arrears"}


def states(alerts: dict[str, dict[str, Any]], rule: str) -> list[str]:
    return [a["status"] for key, a in alerts.items() if key.startswith(rule + "|")]


async def test_late_payroll_and_the_attendance_wage_rules_fire_and_clear(
    stack: Settings,
    http: httpx.AsyncClient,
    site: Site,
    bank_api: StandInBank,
    browser: WebDriver,
) -> None:
    officer = auth(site.tokens["officer_a"])
    payroll = await payroll_officer(http, site)
    bank_keypair(stack, "ICBC")
    since = BACK.replace(day=1)
    w1, worker1, _ = await contracted_worker(http, site, officer, daily=700, since=since)
    w2, worker2, _ = await contracted_worker(http, site, officer, daily=700, since=since)
    for worker in (worker1, worker2):
        assert (await bind(http, worker, "ICBC", card_number("622202"))).status_code == 201
    added = await http.post(
        "/v1/payroll/wage-accounts", json=wage_account(site, "2102201019000888888"), headers=payroll
    )
    assert added.status_code == 201, added.text
    for worker_id in (w1, w2):
        record_days(stack, site.project_a, str(worker_id), DUE, 3)
        record_days(stack, site.project_a, str(worker_id), BACK, 2)

    async with await AsyncConnection.connect(stack.postgres_dsn, autocommit=True) as conn:
        await conn.execute(  # w1 left in the due month (recorded), before being paid
            "UPDATE memberships SET status = 'exited', entry_date = %s, exit_date = %s"
            " WHERE worker_id = %s AND project_id = %s",
            (BACK, DUE + timedelta(days=2), w1, site.project_a),
        )
    url = f"ws://{stack.bind_host}:{stack.realtime_port}/ws"
    worker2_token = worker2["authorization"].removeprefix("Bearer ")
    async with LiveSubscriber(url, worker2_token, f"worker:{w2}") as inbox:
        evaluate(stack)  # the worker owed pay hears of it on their own channel

        def owed_notice() -> bool:
            return any("工资拖欠" in m.get("title_zh", "") for m in inbox.messages)

        await wait_until(owed_notice, 30)
    token = site.tokens["officer_a"]
    fired = await alerts_of(http, token, site.project_a)
    arrears = (await arrears_of(http, token, site.project_a))[f"{DUE:%Y-%m}"]
    assert arrears["status"] == "open" and arrears["evidence"]["owed_workers"] == 2
    assert sorted(arrears["evidence"]["notify_workers"]) == sorted([str(w1), str(w2)])
    assert arrears["evidence"]["pay_date"] == f"{pay_date(DUE, 15)}"
    left = fired[f"exited_worker_unsettled|worker:{w1}@{site.project_a}"]
    assert left["status"] == "open" and left["severity"] == "critical"
    for rule in ("payroll_late", "wage_paid_headcount_short", "wage_unrecorded_workers"):
        assert states(fired, rule) == ["open"], (rule, sorted(fired))
    assert states(fired, "wage_unpaid_two_months") == ["open"]
    late = next(a for k, a in fired.items() if k.startswith("payroll_late|"))
    assert late["window"] == f"{DUE:%Y-%m}" and "未按时发放" in late["message_zh"]
    assert late["evidence"]["attended_workers"] == 2
    regional = await http.get(
        f"/v1/wages?month={DUE:%Y-%m}&project_id={site.project_a}",
        headers=auth(site.tokens["regulator_gx"]),
    )
    [figures] = regional.json()["projects"]
    assert (figures["attended_workers"], figures["paid_workers"]) == (2, 0)
    assert figures["open_wage_alerts"] >= 4 and figures["paid_ratio"] == 0.0

    # The regulator's wage dashboard shows the project unpaid, the warnings and the charts.
    await log_in(browser, stack, site.logins["regulator_gx"], PASSWORD, lands_on="region.html")
    browser.find_element(By.ID, "wages-link").click()
    browser.execute_script(f"document.getElementById('month').value = '{DUE:%Y-%m}'")
    browser.find_element(By.ID, "show").click()
    # (the page first shows last month: wait for the due month's figures)
    await until(browser, lambda b: "0.0%" in row_of(b, site.project_a))
    assert "未建工资单" in row_of(browser, site.project_a)
    assert f"{DUE:%Y-%m} 工资未按时发放" in text_of(browser, "alerts")
    for chart in ("trend-chart", "arrears-chart", "rules-chart"):
        element = browser.find_element(By.ID, chart)
        assert element.get_attribute("data-ready") == "yes"
        assert element.find_elements(By.TAG_NAME, "canvas"), f"{chart} drew nothing"

    # The back month paid (recorded), the due month through the four steps.
    if BACK != DUE:
        record_pay(stack, site.project_a, str(w1), BACK, 1400, line=10**12 + w1, version=1)
        record_pay(stack, site.project_a, str(w2), BACK, 1400, line=10**12 + w2, version=1)
    created = await http.post(
        "/v1/payroll/sheets",
        json={
            "project_id": site.project_a,
            "enterprise_id": site.enterprise_id,
            "month": f"{DUE:%Y-%m}",
        },
        headers=payroll,
    )
    assert created.status_code == 201, created.text
    sheet_id = created.json()["sheet_id"]
    assert {line["amount"] for line in created.json()["items"]} == {"2100.00"}
    base = f"/v1/payroll/sheets/{sheet_id}"
    assert (await http.post(f"{base}/table/confirm", headers=payroll)).is_success
    scan = b"%PDF-1.4\n% signed\n%%EOF\n"
    assert (await http.post(f"{base}/signed-scan", content=scan, headers=payroll)).is_success
    evaluate(stack)  # sent to nobody yet: still late
    assert states(await alerts_of(http, token, site.project_a), "payroll_late") == ["open"]
    assert (await http.post(f"{base}/bank-file", headers=payroll)).is_success
    lines = (await http.get(base, headers=officer)).json()["items"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["line_id", "result", "paid_on", "bank_ref", "reason"])
    for line in lines:
        writer.writerow([line["line_id"], "paid", TODAY.isoformat(), f"R{line['line_id']}", ""])
    returned = await http.post(
        f"{base}/bank-return", content=out.getvalue().encode(), headers=payroll
    )
    assert returned.json()["state"] == "reconciled", returned.text

    wages = DriverExecutor(connect(stack.clickhouse_url))

    def paid_in_clickhouse() -> bool:
        rows = wages.rows(
            "SELECT count() FROM wage_lines FINAL WHERE sheet_id = %(s)s AND status = 'paid'",
            {"s": sheet_id},
        )
        return int(rows[0][0]) == 2

    await wait_until(paid_in_clickhouse, 60)  # the streams worker's wage sink
    evaluate(stack)
    cleared = await alerts_of(http, token, site.project_a)
    for rule in (
        "payroll_late",
        "wage_paid_headcount_short",
        "wage_unrecorded_workers",
        "wage_unpaid_two_months",
        "exited_worker_unsettled",
    ):
        assert states(cleared, rule) == ["cleared"], (rule, states(cleared, rule))
    owed_months = await arrears_of(http, token, site.project_a)
    assert {a["status"] for a in owed_months.values()} == {"cleared"}  # the due and back months
    assert not states(cleared, "wage_per_head_below_minimum")  # 2,100 a head
    paid = await http.get(
        f"/v1/wages?month={DUE:%Y-%m}&project_id={site.project_a}", headers=officer
    )
    [figures] = paid.json()["projects"]
    assert (figures["paid_workers"], figures["paid_total"], figures["per_head"]) == (2, 4200, 2100)
    assert figures["sheet_states"] == ["reconciled"] and figures["open_wage_alerts"] == 0
    groups = f"/v1/wages/groups?month={DUE:%Y-%m}&project_id={site.project_a}"
    by_enterprise = (await http.get(f"{groups}&by=enterprise", headers=officer)).json()
    assert by_enterprise["groups"] == [
        {
            "group": str(site.enterprise_id),
            "attended_workers": 2,
            "attended_days": 6,
            "paid_workers": 2,
            "paid_total": 4200.0,
            "per_head": 2100.0,
            "paid_ratio": 1.0,
            "unpaid_attended": 0,
        }
    ]
    by_worker = (await http.get(f"{groups}&by=worker", headers=officer)).json()["groups"]
    assert {g["group"]: g["paid_total"] for g in by_worker} == {str(w1): 2100, str(w2): 2100}
    elsewhere = await http.get(groups, headers=auth(site.tokens["officer_b"]))
    assert elsewhere.status_code == 404  # another project's officer
    assert (await http.get(f"{groups}&by=trade", headers=officer)).status_code == 422
    browser.find_element(By.ID, "show").click()
    await until(browser, lambda b: "已对账" in row_of(b, site.project_a))
    assert "100.0%" in row_of(browser, site.project_a)
    mine = await http.get("/v1/me/wages?months=4", headers=worker1)
    months = {m["month"]: m for m in mine.json()["months"]}
    assert months[f"{DUE:%Y-%m}"]["paid"] == 2100 and months[f"{DUE:%Y-%m}"]["attended_days"] == 3


async def test_per_head_and_one_workers_amount_fire_and_clear_on_recorded_pay(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    project = site.project_b  # Beijing: its regulator and the region's profile
    await recorded_wage_account(stack, site, project, "6212260000000001")
    low, high = "910001", "910002"
    for worker in (low, high):
        record_days(stack, project, worker, DUE, 20)
        if BACK != DUE:
            record_days(stack, project, worker, BACK, 1)
            record_pay(stack, project, worker, BACK, 3000, line=2 * 10**12 + int(worker), version=1)
    record_pay(stack, project, low, DUE, 1000, line=3 * 10**12 + 1, version=1)
    record_pay(stack, project, high, DUE, 60_000, line=3 * 10**12 + 2, version=1)
    evaluate(stack)
    regulator = site.tokens["regulator_bj"]
    fired = await alerts_of(http, regulator, project)
    assert states(fired, "wage_per_head_below_minimum") == []  # 30,500 a head: fine
    assert fired[f"wage_worker_amount_high|worker:{high}@{project}"]["status"] == "open"
    record_pay(stack, project, high, DUE, 1500, line=3 * 10**12 + 2, version=2)
    evaluate(stack)
    after = await alerts_of(http, regulator, project)
    assert after[f"wage_worker_amount_high|worker:{high}@{project}"]["status"] == "cleared"
    per_head = next(a for k, a in after.items() if k.startswith("wage_per_head_below_minimum|"))
    assert per_head["status"] == "open" and per_head["evidence"]["per_head_yuan"] == 1250
    record_pay(stack, project, low, DUE, 2800, line=3 * 10**12 + 1, version=2)
    record_pay(stack, project, high, DUE, 2800, line=3 * 10**12 + 2, version=3)
    evaluate(stack)
    settled = await alerts_of(http, regulator, project)
    assert per_head["alert_id"] == next(
        a["alert_id"] for k, a in settled.items() if k.startswith("wage_per_head_below_minimum|")
    )
    assert states(settled, "wage_per_head_below_minimum") == ["cleared"]


async def test_pay_against_days_elsewhere_and_a_projects_own_pay_day(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    """Paid on B for days on A's site (red), high pay for two days (yellow): both clear when
    the records are put right. A project's own pay day moves its arrears' due date."""
    project = site.project_b
    await recorded_wage_account(stack, site, project, "6212260000000002")
    elsewhere, few, owed = "920001", "920002", "920003"
    record_days(stack, site.project_a, elsewhere, DUE, 12)  # on A's site, paid by B
    record_pay(stack, project, elsewhere, DUE, 4000, line=4 * 10**12 + 1, version=1)
    record_days(stack, project, few, DUE, 2)
    record_pay(stack, project, few, DUE, 12_000, line=4 * 10**12 + 2, version=1)
    record_days(stack, project, owed, DUE, 5)  # attended, never paid
    evaluate(stack)
    regulator = site.tokens["regulator_bj"]
    fired = await alerts_of(http, regulator, project)
    paid_elsewhere = fired[f"wage_paid_for_other_project_days|worker:{elsewhere}@{project}"]
    assert paid_elsewhere["status"] == "open" and paid_elsewhere["severity"] == "critical"
    assert paid_elsewhere["evidence"]["days_elsewhere"] == {site.project_a: 12}
    high = fired[f"wage_high_for_few_days|worker:{few}@{project}"]
    assert high["status"] == "open" and high["evidence"]["days_here"] == 2
    arrears = (await arrears_of(http, regulator, project))[f"{DUE:%Y-%m}"]
    assert arrears["evidence"]["notify_workers"] == [owed]
    assert arrears["evidence"]["pay_date"] == f"{pay_date(DUE, 15)}"

    record_days(stack, project, elsewhere, DUE, 12)  # B's gate records arrive after all
    record_pay(stack, project, few, DUE, 1200, line=4 * 10**12 + 2, version=2)  # corrected
    evaluate(stack)
    after = await alerts_of(http, regulator, project)
    assert after[f"wage_paid_for_other_project_days|worker:{elsewhere}@{project}"]["status"] == (
        "cleared"
    )
    assert after[f"wage_high_for_few_days|worker:{few}@{project}"]["status"] == "cleared"

    path = f"/v1/projects/{project}"
    beijing = auth(regulator)
    refused = await http.patch(path, json={"pay_day": 29}, headers=beijing)
    assert refused.status_code == 422 and "pay_day" in refused.text
    moved = await http.patch(path, json={"pay_day": 1}, headers=beijing)
    assert moved.status_code == 200 and moved.json()["pay_day"] == 1, moved.text
    evaluate(stack)
    moved_arrears = (await arrears_of(http, regulator, project))[f"{DUE:%Y-%m}"]
    assert moved_arrears["evidence"]["pay_date"] == f"{pay_date(DUE, 1)}"
    assert moved_arrears["alert_id"] == arrears["alert_id"]


async def test_a_late_payroll_reaches_the_managers_at_once_and_the_regulator_when_escalated(
    stack: Settings, http: httpx.AsyncClient, site: Site, mailbox: Mailbox
) -> None:
    project = site.project_a
    officer_mail = f"officer-late-{project.lower()}@example.cn"
    regulator_mail = f"regulator-late-{project.lower()}@example.cn"
    for role, address in (("officer_a", officer_mail), ("regulator_gx", regulator_mail)):
        saved = await http.put(
            "/v1/me/notification-preferences",
            json={"channels": ["email"], "email": address},
            headers=auth(site.tokens[role]),
        )
        assert saved.status_code == 200, saved.text
    await recorded_wage_account(stack, site, project, "6212260000000003")
    record_days(stack, project, "930001", DUE, 4)  # attended, and no payroll at all

    def late_mail(address: str) -> list[EmailMessage]:
        return [
            m
            for m in mailbox.to(address)
            if "工资未按时发放" in str(m["Subject"]) and project in m.get_content()
        ]

    evaluate(stack)
    await wait_until(lambda: len(late_mail(officer_mail)) == 1, 60)
    assert str(late_mail(officer_mail)[0]["Subject"]).startswith("新告警")
    await asyncio.sleep(2)  # (the same delivery task would have mailed the regulator)
    assert late_mail(regulator_mail) == []  # the managers' to put right first
    late = next(
        a
        for k, a in (await alerts_of(http, site.tokens["officer_a"], project)).items()
        if k.startswith("payroll_late|")
    )
    async with await AsyncConnection.connect(stack.postgres_dsn, autocommit=True) as conn:
        await conn.execute(  # as if opened two days ago and never acknowledged
            "UPDATE alerts SET opened_at = now() - interval '2 days' WHERE alert_id = %s",
            (late["alert_id"],),
        )
    evaluate(stack)
    await wait_until(lambda: len(late_mail(regulator_mail)) == 1, 60)
    assert str(late_mail(regulator_mail)[0]["Subject"]).startswith("告警升级")

"""The payroll pages in headless Chromium: the officer's sheet with its steps and the
per-line problems of a bad upload; the worker's card, pay, confirmation and notification."""

from __future__ import annotations

from pathlib import Path

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from infra.settings import Settings

from .chromium import log_in, text_of, until
from .people import PASSWORD, Site, auth
from .test_payroll import (
    MONTH,
    bank_keypair,
    bind,
    card_number,
    contracted_worker,
    payroll_officer,
    wage_account,
)


async def test_the_officer_runs_a_sheet_and_the_worker_sees_their_pay(
    stack: Settings, http: httpx.AsyncClient, site: Site, browser: WebDriver, tmp_path: Path
) -> None:
    officer = auth(site.tokens["officer_a"])
    payroll = await payroll_officer(http, site)
    bank_keypair(stack, "ICBC")
    _, worker, id_number = await contracted_worker(http, site, officer, daily=300)
    card = card_number("622202")
    assert (await bind(http, worker, "ICBC", card)).status_code == 201
    account = wage_account(site, "2102201019000777777")
    assert (
        await http.post("/v1/payroll/wage-accounts", json=account, headers=payroll)
    ).status_code == 201

    # The officer: password and month, a new sheet, a bad upload, a good one.
    await log_in(browser, stack, site.logins["officer_a"], PASSWORD, lands_on="project.html")
    browser.find_element(By.ID, "payroll-link").click()
    await until(browser, lambda b: "建工集团农民工工资专用账户" in text_of(b, "account"))
    browser.find_element(By.ID, "security").send_keys("anquan2026mima")
    browser.execute_script(f"document.getElementById('month').value = '{MONTH}'")
    browser.find_element(By.ID, "open").click()
    await until(browser, lambda b: "本月暂无工资单" in text_of(b, "sheets"))
    browser.find_element(By.ID, "create").click()
    await until(browser, lambda b: "工资单已创建" in text_of(b, "notice"))
    assert "草稿" in text_of(browser, "state")

    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"身份证号,姓名,出勤天数,应发金额\n{id_number},韦小宝,40,320\n{id_number},张三,1,0\n"
    )
    browser.find_element(By.ID, "table-file").send_keys(str(bad))
    await until(browser, lambda b: "第1行：出勤天数应为0至31" in text_of(b, "problems"))
    assert "第2行：金额超出范围" in text_of(browser, "problems")
    assert "数据有误" in text_of(browser, "error")

    good = tmp_path / "good.csv"
    good.write_text(f"身份证号,姓名,出勤天数,工时,应发金额\n{id_number},韦小宝,20,160,6000\n")
    browser.find_element(By.ID, "table-file").send_keys(str(good))
    await until(browser, lambda b: "工资表已上传" in text_of(b, "state"))
    step = browser.find_element(By.CSS_SELECTOR, "#steps li[data-step=table]")
    assert step.get_attribute("class") == "done"
    assert "6000.00" in text_of(browser, "lines") and card[-4:] in text_of(browser, "lines")
    browser.find_element(By.ID, "signed-by-workers").click()
    await until(browser, lambda b: "还有1名工人未确认工资条" in text_of(b, "error"))

    # The worker: their card, masked; the line to confirm; then word that it was sent.
    await log_in(browser, stack, id_number, "gongren2026", lands_on="worker.html")
    browser.get(f"http://{stack.bind_host}:{stack.realtime_port}/pay.html")
    await until(browser, lambda b: text_of(b, "status") == "已连接")
    assert text_of(browser, "card-number") == f"**** **** **** {card[-4:]}"
    assert card not in browser.page_source
    await until(browser, lambda b: "6000.00" in text_of(b, "pay"))
    assert "待确认" in text_of(browser, "pay") and "以银行实际到账为准" in text_of(
        browser, "arrival-note"
    )
    browser.find_element(By.XPATH, "//button[text()='确认无误']").click()
    await until(browser, lambda b: "已确认" in text_of(b, "pay"))

    sheets = await http.get(f"/v1/payroll/sheets?project_id={site.project_a}", headers=officer)
    sheet_id = sheets.json()["items"][0]["sheet_id"]
    signed = await http.post(f"/v1/payroll/sheets/{sheet_id}/signed-by-workers", headers=payroll)
    assert signed.status_code == 200, signed.text
    assert (await http.post(f"/v1/payroll/sheets/{sheet_id}/bank-file", headers=payroll)).is_success
    await until(browser, lambda b: "已提交银行代发" in text_of(b, "notifications"))

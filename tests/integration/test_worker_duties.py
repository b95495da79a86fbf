"""What Shanghai asks of its workers in the app, through the real servers: each
employment record confirmed against the terms shown (and asked again when they change, or
disputed with a reason the officer reads), and a health check recorded at a listed
institution or another one; a region that asks neither shows neither."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from psycopg import AsyncConnection

from api.auth.principal import Role
from infra.settings import Settings
from streams.local_time import BEIJING

from .people import Site, auth, staff_tokens, worker_with_password
from .test_workers import new_id_number


@dataclass(frozen=True)
class Shanghai:
    project_id: str
    officer: dict[str, str]
    regulator: dict[str, str]
    officer_login: str


async def shanghai_project(stack: Settings, http: httpx.AsyncClient, site: Site) -> Shanghai:
    """A project in Huangpu district (310101) with site's enterprise, its officer and
    Shanghai's regulator."""
    run = uuid.uuid4().hex[:8]
    project_id = f"S{run}"
    users = {"officer": (Role.LABOUR_OFFICER, project_id), "regulator": (Role.REGULATOR, "310000")}
    async with await AsyncConnection.connect(stack.postgres_dsn, autocommit=True) as conn:
        await conn.execute(
            "INSERT INTO regions (code, name, level, parent_code) VALUES"
            " ('310000', '上海', 'province', NULL), ('310101', '黄浦区', 'district', '310000')"
            " ON CONFLICT DO NOTHING"
        )
        await conn.execute(
            "INSERT INTO projects (project_id, name, region_code) VALUES (%s, %s, '310101')",
            (project_id, f"外滩项目{run}"),
        )
        await conn.execute(
            "INSERT INTO project_enterprises VALUES (%s, %s, 'general_contractor')",
            (project_id, site.enterprise_id),
        )
        tokens = await staff_tokens(
            conn, http, {f"sh-{name}-{run}": spec for name, spec in users.items()}
        )
    officer, regulator = (auth(tokens[f"sh-{name}-{run}"]) for name in users)
    return Shanghai(project_id, officer, regulator, officer_login=f"sh-officer-{run}")


@pytest.fixture
async def shanghai(stack: Settings, http: httpx.AsyncClient, site: Site) -> Shanghai:
    return await shanghai_project(stack, http, site)


def contract(project_id: str, enterprise_id: int, number: str) -> dict[str, Any]:
    return {
        "number": number,
        "project_id": project_id,
        "enterprise_id": enterprise_id,
        "kind": "fixed_term",
        "signed_on": "2026-11-01",
        "starts_on": "2026-11-02",
        "ends_on": "2027-11-01",
        "wage_basis": "daily",
        "wage_amount": "380.00",
    }


def problem(response: httpx.Response) -> tuple[int, str, str]:
    first = response.json()["problems"][0]
    return response.status_code, first["field"], first["message_zh"]


async def test_a_shanghai_worker_confirms_the_terms_shown_and_disputes_changed_ones(
    http: httpx.AsyncClient, site: Site, shanghai: Shanghai
) -> None:
    worker_id, token, _ = await worker_with_password(
        http, shanghai.officer, shanghai.project_id, new_id_number()
    )
    me = auth(token)
    listed = await http.get("/v1/me/employment", headers=me)
    assert listed.status_code == 200, listed.text
    [entry] = listed.json()["items"]
    assert entry["status"] == "pending" and entry["project_id"] == shanghai.project_id
    assert entry["terms"] == {
        "employer": None,
        "team": None,
        "trade": "木工",
        "entry_date": "2026-11-02",
        "contract": None,
    }
    answer = f"/v1/me/employment/{entry['membership_id']}/answer"

    # Only the terms shown can be confirmed; a dispute says what is wrong.
    stale = await http.post(
        answer, json={"answer": "confirmed", "terms_digest": "0" * 16}, headers=me
    )
    assert (
        stale.status_code == 409
        and stale.json()["message_zh"] == "聘用信息已变更，请刷新后重新确认"
    )
    digest = entry["terms_digest"]
    confirmed = await http.post(
        answer, json={"answer": "confirmed", "terms_digest": digest}, headers=me
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed" and confirmed.json()["answered_at"]

    # The officer adds the labour contract: the terms changed, so the worker is asked again.
    signed = await http.post(
        f"/v1/workers/{worker_id}/contracts",
        json=contract(shanghai.project_id, site.enterprise_id, f"SH-{worker_id}"),
        headers=shanghai.officer,
    )
    assert signed.status_code == 201, signed.text
    [changed] = (await http.get("/v1/me/employment", headers=me)).json()["items"]
    assert changed["status"] == "changed" and changed["terms_digest"] != digest
    assert changed["terms"]["contract"]["wage_amount"] == "380.00"
    assert changed["terms"]["employer"].startswith("建工集团")
    unsaid = await http.post(
        answer, json={"answer": "disputed", "terms_digest": changed["terms_digest"]}, headers=me
    )
    assert problem(unsaid) == (422, "note", "请说明哪项聘用信息有误")
    disputed = await http.post(
        answer,
        json={
            "answer": "disputed",
            "terms_digest": changed["terms_digest"],
            "note": "日工资应为400元",
        },
        headers=me,
    )
    assert disputed.status_code == 200, disputed.text
    assert disputed.json()["status"] == "disputed"

    # The officer reads the dispute; nobody else answers for the worker.
    duties = await http.get(
        f"/v1/projects/{shanghai.project_id}/worker-duties", headers=shanghai.officer
    )
    assert duties.status_code == 200, duties.text
    page = duties.json()
    assert (page["employment_confirmation"], page["health_check"], page["total"]) == (True, True, 1)
    assert page["tally"] == {
        "roster": 1,
        "to_answer": 0,
        "disputed": 1,
        "without_health_check": 1,
    }
    [row] = page["items"]
    assert (row["worker_id"], row["employment"]["status"]) == (worker_id, "disputed")
    assert row["employment"]["note"] == "日工资应为400元" and row["health_check"] is None
    other = await worker_with_password(http, shanghai.officer, shanghai.project_id, new_id_number())
    body = {"answer": "confirmed", "terms_digest": changed["terms_digest"]}
    assert (await http.post(answer, json=body, headers=auth(other[1]))).status_code == 404
    assert (await http.post(answer, json=body, headers=shanghai.officer)).status_code == 403
    roster = f"/v1/projects/{shanghai.project_id}/worker-duties"
    assert (await http.get(roster, headers=me)).status_code == 404  # not the worker's to read
    hidden = await http.get(
        f"/v1/projects/{shanghai.project_id}/worker-duties", headers=auth(site.tokens["officer_a"])
    )
    assert hidden.status_code == 404


async def test_a_shanghai_worker_records_a_health_check_at_a_listed_or_other_institution(
    http: httpx.AsyncClient, site: Site, shanghai: Shanghai
) -> None:
    run = uuid.uuid4().hex[:6]
    listing = "/v1/health-institutions"
    clinic = {"region_code": "310101", "name": f"黄浦区体检中心{run}"}
    added = await http.post(listing, json=clinic, headers=shanghai.regulator)
    assert added.status_code == 201, added.text
    assert (await http.post(listing, json=clinic, headers=shanghai.regulator)).status_code == 409
    guangxi = auth(site.tokens["regulator_gx"])
    assert (await http.post(listing, json=clinic, headers=guangxi)).status_code == 403
    assert (await http.post(listing, json=clinic, headers=shanghai.officer)).status_code == 403
    unknown = await http.post(
        listing, json={**clinic, "region_code": "319999"}, headers=shanghai.regulator
    )
    assert problem(unknown) == (422, "region_code", "行政区划不存在")
    far = await http.post(
        listing, json={"region_code": "450702", "name": f"钦南区医院{run}"}, headers=guangxi
    )
    assert far.status_code == 201, far.text
    mine = await http.get(listing, headers=shanghai.regulator)
    assert added.json() in mine.json()["items"] and far.json() not in mine.json()["items"]

    worker_id, token, _ = await worker_with_password(
        http, shanghai.officer, shanghai.project_id, new_id_number()
    )
    me = auth(token)
    asked = (await http.get("/v1/me/health-check", headers=me)).json()
    assert (asked["asked"], asked["latest"]) == (True, None)
    assert added.json() in asked["institutions"] and far.json() not in asked["institutions"]

    today = datetime.now(BEIJING).date()
    record = {"examined_on": (today - timedelta(days=20)).isoformat(), "conclusion": "fit"}
    path = "/v1/me/health-check"
    cases = [
        ({**record}, "institution_id", "请选择一个体检机构，或填写其他体检机构"),
        (
            {**record, "institution_id": added.json()["institution_id"], "other_institution": "x"},
            "institution_id",
            "请选择一个体检机构，或填写其他体检机构",
        ),
        (
            {**record, "institution_id": far.json()["institution_id"]},
            "institution_id",
            "体检机构不在列表中",
        ),
        (
            {
                **record,
                "other_institution": "某医院",
                "examined_on": (today + timedelta(days=1)).isoformat(),
            },
            "examined_on",
            "体检日期不能晚于今天",
        ),
        (
            {**record, "other_institution": "某医院", "examined_on": "2020-01-01"},
            "examined_on",
            "体检日期不能早于三年前",
        ),
    ]
    for body, field, message_zh in cases:
        assert problem(await http.post(path, json=body, headers=me)) == (422, field, message_zh)
    listed = await http.post(
        path, json={**record, "institution_id": added.json()["institution_id"]}, headers=me
    )
    assert listed.status_code == 201, listed.text
    assert listed.json()["institution_name"] == clinic["name"]
    other = await http.post(
        path,
        json={**record, "other_institution": "上海市第一人民医院", "conclusion": "unfit"},
        headers=me,
    )
    assert other.status_code == 201, other.text
    latest = (await http.get(path, headers=me)).json()["latest"]
    assert (latest["institution_name"], latest["institution_id"], latest["conclusion"]) == (
        "上海市第一人民医院",
        None,
        "unfit",
    )
    duties = await http.get(
        f"/v1/projects/{shanghai.project_id}/worker-duties", headers=shanghai.regulator
    )
    [row] = [r for r in duties.json()["items"] if r["worker_id"] == worker_id]
    assert row["health_check"] == latest


async def test_a_region_that_asks_neither_shows_neither(
    http: httpx.AsyncClient, site: Site
) -> None:
    officer = auth(site.tokens["officer_a"])
    _, token, _ = await worker_with_password(http, officer, site.project_a, new_id_number())
    me = auth(token)
    assert (await http.get("/v1/me/employment", headers=me)).json()["items"] == []
    health = (await http.get("/v1/me/health-check", headers=me)).json()
    assert (health["asked"], health["institutions"]) == (False, [])
    duties = (
        await http.get(f"/v1/projects/{site.project_a}/worker-duties", headers=officer)
    ).json()
    assert (duties["employment_confirmation"], duties["health_check"], duties["items"]) == (
        False,
        False,
        [],
    )

"""Projects, teams, whole-team exit and device credentials over HTTP, scoped by role."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from api.identity import uscc_check_character
from infra.settings import Settings
from ingest.client import DeviceClient

from .helpers import pass_item
from .people import Site, auth, worker_body
from .test_workers import new_id_number


def project_body(project_id: str, region: str = "450702") -> dict[str, object]:
    return {
        "project_id": project_id,
        "name": "钦州新建厂房",
        "region_code": region,
        "start_date": "2026-12-01",
        "planned_completion": "2027-12-01",
        "status": "active",
    }


async def test_regulators_register_projects_in_their_region_only(
    http: httpx.AsyncClient, site: Site
) -> None:
    regulator = auth(site.tokens["regulator_gx"])
    project_id = f"N{uuid.uuid4().hex[:8]}"
    created = await http.post("/v1/projects", json=project_body(project_id), headers=regulator)
    assert created.status_code == 201, created.text
    again = await http.post("/v1/projects", json=project_body(project_id), headers=regulator)
    assert again.status_code == 409
    outside = await http.post(
        "/v1/projects", json=project_body(f"X{project_id}", "110105"), headers=regulator
    )
    assert outside.status_code == 403
    backwards = {**project_body(f"Y{project_id}"), "planned_completion": "2026-01-01"}
    assert (await http.post("/v1/projects", json=backwards, headers=regulator)).status_code == 422
    officer = await http.post(
        "/v1/projects", json=project_body(f"Z{project_id}"), headers=auth(site.tokens["officer_a"])
    )
    assert officer.status_code == 403

    listed = await http.get("/v1/projects?limit=500", headers=auth(site.tokens["contractor"]))
    assert [p["project_id"] for p in listed.json()["items"]] == [site.project_a]
    hidden = await http.get(
        f"/v1/projects/{site.project_a}", headers=auth(site.tokens["officer_b"])
    )
    assert hidden.status_code == 404


async def test_teams_and_a_confirmed_whole_team_exit(http: httpx.AsyncClient, site: Site) -> None:
    officer = auth(site.tokens["officer_a"])
    teams_path = f"/v1/projects/{site.project_a}/teams"
    team_body = {
        "enterprise_id": site.enterprise_id,
        "name": f"钢筋{uuid.uuid4().hex[:4]}班组",
        "kind": "labour",
        "trade": "钢筋工",
    }
    team = await http.post(teams_path, json=team_body, headers=officer)
    assert team.status_code == 201, team.text
    team_id = team.json()["team_id"]
    assert (await http.post(teams_path, json=team_body, headers=officer)).status_code == 409
    stranger = {**team_body, "name": "外来班组", "enterprise_id": 2**40}
    assert (await http.post(teams_path, json=stranger, headers=officer)).status_code == 422
    regulator = auth(site.tokens["regulator_gx"])
    assert (await http.post(teams_path, json=team_body, headers=regulator)).status_code == 403

    for _ in range(2):
        body = {**worker_body(new_id_number(), site.project_a), "team_id": team_id}
        assert (await http.post("/v1/workers", json=body, headers=officer)).status_code == 201
    listed = await http.get(teams_path, headers=officer)
    members = {t["team_id"]: t["active_members"] for t in listed.json()["items"]}
    assert members[team_id] == 2

    exit_path = f"/v1/teams/{team_id}/exit"
    body = {"exit_date": "2026-11-30", "reason": "分项工程完工"}
    unconfirmed = await http.post(exit_path, json=body, headers=officer)
    assert unconfirmed.status_code == 422 and unconfirmed.json()["error"] == "confirmation_required"
    other_site = await http.post(
        exit_path, json={**body, "confirm": True}, headers=auth(site.tokens["officer_b"])
    )
    assert other_site.status_code == 404
    done = await http.post(exit_path, json={**body, "confirm": True}, headers=officer)
    assert done.status_code == 200 and len(done.json()["exited_workers"]) == 2
    listed = await http.get(teams_path, headers=officer)
    assert {t["team_id"]: t["active_members"] for t in listed.json()["items"]}[team_id] == 0


async def test_device_credentials_work_at_ingest_and_rotation_retires_the_old_secret(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    officer = auth(site.tokens["officer_a"])
    device_id = f"{site.project_a}-GATE{uuid.uuid4().hex[:4]}"
    issued = await http.post(
        f"/v1/projects/{site.project_a}/devices",
        json={"device_id": device_id, "direction": "in"},
        headers=officer,
    )
    assert issued.status_code == 201, issued.text
    first_secret = issued.json()["secret"]
    denied = await http.post(
        f"/v1/projects/{site.project_a}/devices",
        json={"device_id": f"{device_id}-2"},
        headers=auth(site.tokens["officer_b"]),
    )
    assert denied.status_code == 404

    ingest = f"http://{stack.bind_host}:{stack.ingest_port}"
    async with httpx.AsyncClient(base_url=ingest, timeout=30) as gate_http:
        gate = DeviceClient(gate_http, device_id, first_secret)
        assert (await gate.post_passes([pass_item(1)])).status_code == 202

        rotated = await http.post(f"/v1/devices/{device_id}/rotate", headers=officer)
        assert rotated.status_code == 200
        new_secret = rotated.json()["secret"]
        assert new_secret != first_secret
        await asyncio.sleep(stack.device_cache_ttl_s + 0.5)  # ingest's credential cache
        assert (await gate.post_passes([pass_item(2)])).status_code == 401
        fresh = DeviceClient(gate_http, device_id, new_secret)
        assert (await fresh.post_passes([pass_item(3)])).status_code == 202


async def test_regulators_register_enterprises_and_add_them_to_projects(
    http: httpx.AsyncClient, site: Site
) -> None:
    regulator = auth(site.tokens["regulator_gx"])
    body17 = f"91450700MA{uuid.uuid4().int % 10**7:07d}"
    code = body17 + uscc_check_character(body17)
    enterprise = {"credit_code": code.lower(), "name": "钦州劳务有限公司", "kind": "labour_company"}
    created = await http.post("/v1/enterprises", json=enterprise, headers=regulator)
    assert created.status_code == 201, created.text
    assert created.json()["credit_code"] == code  # normalised
    assert (
        await http.post("/v1/enterprises", json=enterprise, headers=regulator)
    ).status_code == 409
    broken = {**enterprise, "credit_code": body17 + ("0" if code[-1] != "0" else "1")}
    refused = await http.post("/v1/enterprises", json=broken, headers=regulator)
    assert refused.status_code == 422
    assert refused.json()["problems"][0]["field"] == "credit_code"
    assert "GB 32100" in refused.json()["problems"][0]["reason"]
    officer = auth(site.tokens["officer_a"])
    assert (await http.post("/v1/enterprises", json=enterprise, headers=officer)).status_code == 403

    joining = {"enterprise_id": created.json()["enterprise_id"], "role": "labour_company"}
    path = f"/v1/projects/{site.project_a}/enterprises"
    assert (await http.post(path, json=joining, headers=regulator)).status_code == 201
    assert (await http.post(path, json=joining, headers=regulator)).status_code == 409
    elsewhere = await http.post(
        f"/v1/projects/{site.project_b}/enterprises", json=joining, headers=regulator
    )
    assert elsewhere.status_code == 404
    found = await http.get("/v1/enterprises?name=钦州劳务", headers=officer)
    assert code in [item["credit_code"] for item in found.json()["items"]]


async def test_staff_accounts_are_created_below_and_inside_the_creator_scope(
    http: httpx.AsyncClient, site: Site
) -> None:
    run = uuid.uuid4().hex[:6]
    contractor = auth(site.tokens["contractor"])
    officer = {
        "login": f"officer{run}",
        "password": "Kaoqin2026",
        "role": "labour_officer",
        "scope_id": site.project_a,
    }
    created = await http.post("/v1/users", json=officer, headers=contractor)
    assert created.status_code == 201, created.text
    assert created.json()["must_change_password"] is True
    assert (await http.post("/v1/users", json=officer, headers=contractor)).status_code == 409
    elsewhere = {**officer, "login": f"other{run}", "scope_id": site.project_b}
    assert (await http.post("/v1/users", json=elsewhere, headers=contractor)).status_code == 403
    upward = {**officer, "login": f"boss{run}", "role": "regulator", "scope_id": "450000"}
    assert (await http.post("/v1/users", json=upward, headers=contractor)).status_code == 403
    weak = {**officer, "login": f"weak{run}", "password": "short1"}
    assert (await http.post("/v1/users", json=weak, headers=contractor)).status_code == 422
    worker = {**officer, "login": f"w{run}", "role": "worker"}
    assert (await http.post("/v1/users", json=worker, headers=contractor)).status_code == 422
    regulator = auth(site.tokens["regulator_gx"])
    district = {**officer, "login": f"qinnan{run}", "role": "regulator", "scope_id": "450702"}
    assert (await http.post("/v1/users", json=district, headers=regulator)).status_code == 201
    first = await http.post(
        "/v1/auth/login", json={"login": f"officer{run}", "password": "Kaoqin2026"}
    )
    assert first.json()["must_change_password"] is True


async def test_corrections_are_scoped_validated_and_published(
    http: httpx.AsyncClient, site: Site
) -> None:
    officer = auth(site.tokens["officer_a"])
    registered = await http.post(
        "/v1/workers", json=worker_body(new_id_number(), site.project_a), headers=officer
    )
    path = f"/v1/workers/{registered.json()['worker']['worker_id']}"
    fixed = await http.patch(
        path, json={"phone": "13507770123", "trade": "架子工"}, headers=officer
    )
    assert fixed.status_code == 200
    assert (fixed.json()["phone_masked"], fixed.json()["trade"]) == ("135****0123", "架子工")
    assert (await http.patch(path, json={"phone": "123"}, headers=officer)).status_code == 422
    assert (await http.patch(path, json={"id_number": "1"}, headers=officer)).status_code == 422
    assert (
        await http.patch(path, json={"trade": "木工"}, headers=auth(site.tokens["officer_b"]))
    ).status_code == 404

    project = f"/v1/projects/{site.project_a}"
    regulator = auth(site.tokens["regulator_gx"])
    suspended = await http.patch(project, json={"status": "suspended"}, headers=regulator)
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
    await http.patch(project, json={"start_date": "2026-06-01"}, headers=regulator)
    backwards = await http.patch(
        project, json={"planned_completion": "2026-01-01"}, headers=regulator
    )
    assert backwards.status_code == 422  # checked against the stored start date
    assert (
        await http.patch(project, json={"status": "active"}, headers=officer)
    ).status_code == 403
    regions = await http.get("/v1/regions", headers=officer)
    assert "450702" in [r["code"] for r in regions.json()["items"]]


async def test_the_remaining_maintenance_endpoints_respect_scope(
    http: httpx.AsyncClient, site: Site
) -> None:
    officer, regulator = auth(site.tokens["officer_a"]), auth(site.tokens["regulator_gx"])
    device_id = f"{site.project_a}-M{uuid.uuid4().hex[:4]}"
    await http.post(
        f"/v1/projects/{site.project_a}/devices", json={"device_id": device_id}, headers=officer
    )
    listed = await http.get(f"/v1/projects/{site.project_a}/devices", headers=regulator)
    assert device_id in [d["device_id"] for d in listed.json()["items"]]
    assert "secret" not in listed.text
    disable = f"/v1/devices/{device_id}/disable"
    assert (await http.post(disable, json={"reason": "损坏"}, headers=officer)).status_code == 422
    done = await http.post(disable, json={"reason": "损坏", "confirm": True}, headers=officer)
    assert done.status_code == 200
    again = await http.post(disable, json={"reason": "损坏", "confirm": True}, headers=officer)
    assert again.status_code == 409

    teams = await http.get(f"/v1/projects/{site.project_a}/teams", headers=officer)
    team_body = {
        "enterprise_id": site.enterprise_id,
        "name": f"临时{uuid.uuid4().hex[:4]}",
        "kind": "labour",
    }
    team_id = (
        await http.post(f"/v1/projects/{site.project_a}/teams", json=team_body, headers=officer)
    ).json()["team_id"]
    renamed = await http.patch(f"/v1/teams/{team_id}", json={"trade": "油漆工"}, headers=officer)
    assert renamed.status_code == 200 and renamed.json()["trade"] == "油漆工"
    assert teams.status_code == 200
    assert (
        await http.patch(
            f"/v1/teams/{team_id}", json={"trade": "x"}, headers=auth(site.tokens["officer_b"])
        )
    ).status_code == 404

    enterprise = f"/v1/enterprises/{site.enterprise_id}"
    assert (await http.get(enterprise, headers=officer)).status_code == 200
    patched = await http.patch(enterprise, json={"name": "广西建工集团（更名）"}, headers=regulator)
    assert patched.status_code == 200 and patched.json()["name"] == "广西建工集团（更名）"
    assert (await http.patch(enterprise, json={"name": "x"}, headers=officer)).status_code == 403

    code = f"4507{uuid.uuid4().int % 90 + 10:02d}"
    region = {"code": code, "name": "测试区", "level": "district", "parent_code": "450000"}
    assert (await http.post("/v1/regions", json=region, headers=regulator)).status_code in (
        201,
        409,
    )
    outside = {**region, "code": "110199", "parent_code": "110000"}
    assert (await http.post("/v1/regions", json=outside, headers=regulator)).status_code == 403

    run = uuid.uuid4().hex[:6]
    created = await http.post(
        "/v1/users",
        headers=auth(site.tokens["contractor"]),
        json={
            "login": f"temp{run}",
            "password": "Linshi2026",
            "role": "labour_officer",
            "scope_id": site.project_a,
        },
    )
    user_path = f"/v1/users/{created.json()['user_id']}/disable"
    assert (
        await http.post(user_path, headers=auth(site.tokens["regulator_bj"]))
    ).status_code == 403
    assert (await http.post(user_path, headers=auth(site.tokens["contractor"]))).status_code == 200
    gone = await http.post("/v1/auth/login", json={"login": f"temp{run}", "password": "Linshi2026"})
    assert gone.status_code == 401

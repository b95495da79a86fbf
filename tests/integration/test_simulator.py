"""The gate simulator signs like a device and everything it sends arrives."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from psycopg import AsyncConnection

from alerts.evaluation import evaluate_all
from alerts.store import load_overrides, save_overrides
from analytics.attendance_sink import ATTENDANCE_COLUMNS
from analytics.clickhouse import connect
from analytics.executor import DriverExecutor
from api.payroll.sealing import DataSealer
from api.seed import (
    DEMO_THRESHOLDS,
    build_sample,
    load_payroll_sample,
    load_sample,
    sample_attendance,
)
from infra.launch.simulator import GateSimulator, Incidents, SimulationPlan
from infra.redis_client import async_redis
from infra.settings import Settings
from streams.local_time import BEIJING

from .helpers import wait_until
from .people import Site, auth
from .test_alerts import evaluate


async def test_simulated_gates_post_signed_passes_that_all_arrive(stack: Settings) -> None:
    """Two simulators of the same sites side by side: shared secrets, distinct event ids."""
    plan = SimulationPlan(projects=2, gates=2, workers=20, rate=200, count=150, flat=True)
    first, second = GateSimulator(stack, plan), GateSimulator(stack, plan)
    assert first.provision() == 4
    assert second.provision() == 4
    assert second.secrets == first.secrets  # the second run did not replace the credentials
    results = await asyncio.gather(first.run(show_progress=False), second.run(show_progress=False))
    assert [(p.accepted, p.rejected) for p in results] == [(150, 0), (150, 0)]
    client = connect(stack.clickhouse_url)

    gates = tuple(first.secrets)

    def all_stored() -> bool:
        # Other tests use the sample projects too; these gates are the simulator's alone.
        rows = client.execute(
            "SELECT project_id, count() FROM gate_passes FINAL"
            " WHERE device_id IN %(gates)s GROUP BY project_id",
            {"gates": gates},
        )
        return sum(count for _, count in rows) == 300 and len(rows) == 2

    await wait_until(all_stored)


async def test_the_demo_opens_an_attendance_and_a_wage_alert_and_clears_one(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    """The demo's story, driven fast: the seed's region, payroll, attendance and demo
    thresholds (the unknown-face window cut from 3 minutes to 1 to keep the test short) and
    the simulator's incidents. The burst opens the streaming alert at once, the silent
    gate's passes go through the project's other gate, the first evaluation shows the
    seed's wage warnings, and the spike clears (消警) once its window has passed."""
    today = datetime.now(BEIJING).date()
    sample = build_sample(projects=3, workers=36, seed=5)
    load_sample(stack.postgres_dsn, sample)
    sealer = DataSealer("seed-test-key-" * 3)  # as the sample payroll test seals its cards
    load_payroll_sample(stack.postgres_dsn, sealer, sample, today=today)
    db = DriverExecutor(connect(stack.clickhouse_url))
    days = sample_attendance(stack.postgres_dsn, sample, today=today)
    db.insert("attendance_days", ATTENDANCE_COLUMNS, [record.row() for record in days])
    region = "450702"  # P001's district; the seed sets its city, 4507
    async with await AsyncConnection.connect(stack.postgres_dsn, autocommit=True) as conn:
        before = (await load_overrides(conn)).get(region, {})
        fast = {**DEMO_THRESHOLDS, "unknown_faces_minutes": 1}
        await save_overrides(conn, region, fast, actor="test")
        try:
            await _run_the_incidents(stack, http, site)
        finally:
            restored = {k: v for k, v in before.items() if k != "version"}
            await save_overrides(conn, region, restored, actor="test")


async def _run_the_incidents(stack: Settings, http: httpx.AsyncClient, site: Site) -> None:
    started = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=1)
    incidents = Incidents(burst_at_s=0, burst_faces=8, silent_from_s=0, silent_for_s=3600)
    plan = SimulationPlan(
        projects=1, gates=2, workers=12, rate=100, count=60, flat=True, incidents=incidents
    )
    simulator = GateSimulator(stack, plan)
    simulator.provision()
    roster, simulated = simulator.registered, simulator.sites[0]
    # A quarter of the roster never comes (the update rate sinks); three never pass out.
    assert len(simulated.workers) == roster - roster // 4 and len(simulated.stays) == 3
    progress = await simulator.run(show_progress=False)
    assert (progress.generated, progress.accepted, progress.rejected) == (60, 60, 0)  # burst too
    silent, other = simulator.silent_gate.device_id, simulator.sites[0].gates[0].device_id
    client = connect(stack.clickhouse_url)

    def by_gate() -> dict[str, int]:
        rows = client.execute(
            "SELECT device_id, count() FROM gate_passes FINAL WHERE received_at >= %(t)s"
            " AND device_id IN %(gates)s GROUP BY device_id",
            {"t": started, "gates": (silent, other)},
        )
        return {str(device): int(count) for device, count in rows}

    await wait_until(lambda: sum(by_gate().values()) == 60)
    assert silent not in by_gate()
    regulator = auth(site.tokens["regulator_gx"])

    async def spike() -> dict[str, Any]:
        listed = await http.get("/v1/alerts?project_id=P001&limit=500", headers=regulator)
        return next(
            (
                a
                for a in listed.json()["items"]
                if a["rule"] == "unknown_face_spike" and a["subject"] == f"device:{other}"
            ),
            {},
        )

    async def spike_open() -> bool:
        return (await spike()).get("status") == "open"

    await wait_until(spike_open, 60)  # from the stream, before any evaluation
    evaluate(stack)
    listed = await http.get("/v1/alerts?status=open&limit=500", headers=regulator)
    opened = {(a["project_id"], a["rule"]) for a in listed.json()["items"]}
    assert ("P003", "payroll_late") in opened  # the seed's unpaid project
    assert ("P002", "wage_paid_headcount_short") in opened  # the one with failed payments
    assert ("P001", "unknown_face_spike") in opened

    # The burst leaves the 1-minute window: the engine, run as the worker runs it but with
    # its clock 70 s ahead (rather than the test waiting), finds no spike and clears it.
    later = datetime.now(UTC) + timedelta(seconds=70)
    async with await AsyncConnection.connect(stack.postgres_dsn, autocommit=True) as conn:
        redis = async_redis(stack.redis_url)
        db = DriverExecutor(connect(stack.clickhouse_url))
        try:
            await evaluate_all(conn, db, redis, namespace=stack.namespace, now=later)
        finally:
            await redis.aclose()
    assert (await spike()).get("status") == "cleared"

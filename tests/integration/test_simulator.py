"""The gate simulator signs like a device and everything it sends arrives."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx

from analytics.clickhouse import connect
from api.seed import build_sample, load_sample
from infra.launch.simulator import GateSimulator, Incidents, SimulationPlan
from infra.settings import Settings

from .helpers import wait_until
from .people import Site, auth


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


async def test_the_demo_incidents_open_an_alert_and_silence_a_gate(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    """The burst of unknown faces opens the streaming alert at once; the silent gate's
    passes go through the project's other gate, so its device alert can follow."""
    load_sample(stack.postgres_dsn, build_sample(projects=1, workers=12, seed=5))
    started = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=1)
    incidents = Incidents(burst_at_s=0, burst_faces=8, silent_from_s=0, silent_for_s=3600)
    plan = SimulationPlan(
        projects=1, gates=2, workers=12, rate=100, count=60, flat=True, incidents=incidents
    )
    simulator = GateSimulator(stack, plan)
    simulator.provision()
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

    async def spike_open() -> bool:
        listed = await http.get(
            "/v1/alerts?status=open&project_id=P001", headers=auth(site.tokens["regulator_gx"])
        )
        return any(
            a["rule"] == "unknown_face_spike" and a["subject"] == f"device:{other}"
            for a in listed.json()["items"]
        )

    await wait_until(spike_open, 60)

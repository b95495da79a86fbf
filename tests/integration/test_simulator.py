"""The gate simulator signs like a device and everything it sends arrives."""

from __future__ import annotations

import asyncio

from analytics.clickhouse import connect
from infra.launch.simulator import GateSimulator, SimulationPlan
from infra.settings import Settings

from .helpers import wait_until


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

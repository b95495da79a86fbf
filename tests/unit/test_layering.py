"""The floor imports nothing upward, and the services below the API do not import it.

The floor is the shared vocabulary (ARCHITECTURE.md): event records, topics, channel and
key names, event-time and local-time rules, region codes (in ``streams/``), and settings,
errors, metrics and outage classification (in ``infra/``)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FLOOR = {
    "streams.records",
    "streams.frame_records",
    "streams.topics",
    "streams.channels",
    "streams.live_messages",
    "streams.event_time",
    "streams.local_time",
    "streams.regions",
    "infra.settings",
    "infra.errors",
    "infra.metrics",
    "infra.batch_histogram",
    "infra.metric_merge",
    "infra.outages",
    "infra.redis_client",
    "infra.retry",
    "infra.asgi_reply",
    "infra.body_limit",
}
PACKAGES = ("api", "alerts", "analytics", "infra", "ingest", "realtime", "streams")


def project_imports(module: str) -> set[str]:
    path = REPO / (module.replace(".", "/") + ".py")
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = (
            [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else []
        )
        found |= {name for name in names if name.split(".")[0] in PACKAGES}
    return found


@pytest.mark.parametrize("module", sorted(FLOOR))
def test_the_floor_imports_only_the_floor(module: str) -> None:
    assert project_imports(module) <= FLOOR


@pytest.mark.parametrize("package", ["alerts", "analytics", "streams", "ingest"])
def test_services_below_the_api_do_not_import_it(package: str) -> None:
    for path in sorted((REPO / package).rglob("*.py")):
        module = ".".join(path.relative_to(REPO).with_suffix("").parts)
        upward = {name for name in project_imports(module) if name.split(".")[0] == "api"}
        assert not upward, f"{module} imports {sorted(upward)}"


def test_the_shared_part_of_infra_does_not_import_the_launcher() -> None:
    """``infra/`` holds what every service shares; ``infra/launch/`` starts the stack."""
    for path in sorted((REPO / "infra").glob("*.py")):
        module = f"infra.{path.stem}"
        launcher = {name for name in project_imports(module) if name.startswith("infra.launch")}
        assert not launcher, f"{module} imports {sorted(launcher)}"

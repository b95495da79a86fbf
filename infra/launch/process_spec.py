"""What the supervisor needs to know to run one process of the stack."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from infra.launch.probes import Probe


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    kind: Literal["server", "service"]
    argv: list[str]
    port: int
    ready: Probe
    env: dict[str, str] = field(default_factory=dict)
    user: str | None = None
    # Runs once before the first start (create directories, write config files, initdb).
    prepare: Callable[[], None] | None = None
    # Runs after each start once ready (create topics, run migrations).
    after_ready: Callable[[], object] | None = None
    url: str = ""
    start_timeout_s: float = 90.0

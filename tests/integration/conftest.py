"""Starts the real local stack once per test session, on free loopback ports."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.ephemeral import ephemeral_stack
from infra.settings import Settings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def stack() -> Iterator[Settings]:
    data_dir = REPO / ".sitepulse" / f"test-{os.getpid()}"
    # A short ClickHouse flush keeps the tests quick; the batching path is the same.
    with ephemeral_stack(data_dir, SITEPULSE_SINK_FLUSH_S="0.2") as settings:
        yield settings

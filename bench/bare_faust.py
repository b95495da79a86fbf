"""Baseline for bench/pipeline.py: a bare Faust agent that only counts, same app settings.

    python bench/bare_faust.py TOPIC COUNT   (with the stack's SITEPULSE_* variables set)

Prints ``EVENTS_PER_S=<figure>`` over the middle of the backlog (bench/steady.py), then
exits.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import faust
from faust.types import StreamT
from steady import marks  # bench/steady.py

from infra.launch.ephemeral import free_ports
from infra.settings import load_settings
from streams.app import create_app


def main() -> None:
    topic_name, count = sys.argv[1], int(sys.argv[2])
    base = load_settings()
    # Its own app id (so its own consumer group) and a web port nobody uses.
    port = free_ports(1)[0]
    settings = base.model_copy(update={"namespace": f"{topic_name}.", "streams_port": port})
    (settings.resolved_data_dir / "streams").mkdir(parents=True, exist_ok=True)
    app = create_app(settings)
    topic = app.topic(topic_name, key_serializer="raw", value_serializer="raw")
    start, end = marks(count)
    seen = 0
    started = 0.0

    @app.agent(topic)
    async def count_only(stream: StreamT[bytes]) -> None:
        nonlocal seen, started
        async for _ in stream:
            seen += 1
            if seen == start:
                started = time.perf_counter()
            elif seen == end:
                rate = (end - start) / (time.perf_counter() - started)
                print(f"EVENTS_PER_S={rate:.1f}", flush=True)
                os._exit(0)

    worker = faust.Worker(app, loglevel="warning", quiet=True, redirect_stdouts=False)
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()

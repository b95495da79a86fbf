"""Where the streams worker's time goes: py-spy samples a worker draining a backlog.

    .venv/bin/python bench/streams_profile.py [--events 20000] [--rate 250] [--roles passes]

Starts a throwaway stack and drains a backlog of passes as ``bench/pipeline.py`` does (the
figure is lower under the profiler), then prints each stage's share of the worker's busy
samples: Faust's own machinery, which the bare Faust agent pays too, and each of
SitePulse's steps, those of the roles' own processes (py-spy follows them) marked as
such. The raw profile (py-spy's collapsed stacks, for a flame graph) is kept in
``.sitepulse/profile/streams.txt``.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline import ALL_ROLES, streams_drain  # bench/pipeline.py

from infra.launch.ephemeral import ephemeral_stack

REPO = Path(__file__).resolve().parents[1]
# The first of these found in a sample's stack names its stage (most specific first).
STAGES = (
    ("start-up: imports, face models, warm-up", ("_find_and_load", "FaceEngine.", "warm_up")),
    ("ClickHouse writes (worker thread)", ("write_isolating",)),
    ("attendance: days recomputed", ("AttendanceTracker.observe",)),
    ("attendance: presence published", ("AttendanceStage.refresh", "publish_presence")),
    ("decode and validate passes", ("decode_passes",)),
    ("live publish (Redis script)", ("LivePublisher.publish_new",)),
    ("streaming alert rules", ("PassPipeline._raise_alerts",)),
    ("gates' last passes (Redis)", ("PassPipeline._note_last_passes",)),
    ("delay metrics", ("observe_delays",)),
    ("flush: rows, acks", ("BatchedWrites.flush",)),
    ("other SitePulse code", ("PassPipeline.", "AttendanceStage.", "retrying")),
    ("Faust: messages in (conductor)", ("on_message",)),
    ("Faust: fetch and drain", ("_drain_messages", "Fetcher.", "getmany")),
    ("Faust: stream iteration", ("Stream._c_aiter", "_passive_drainer", "Channel.")),
    ("Kafka and Redis client I/O", ("aiokafka", "AIOKafka", "_send_packed_command", "Redis.")),
)
_IDLE = ("select (", "_worker (", "wait (threading", "Condition.wait", "_do_waitpid")
#: py-spy --subprocesses names each process as a frame of its own, the child's second.
_CHILD = "streams.role_child"


def stage_of(stack: str) -> str | None:
    """The stage of one collapsed stack (``frame;frame;…``); None when the thread idled."""
    leaf = stack.rsplit(";", 1)[-1]
    if any(mark in leaf for mark in _IDLE):
        return None
    for name, marks in STAGES:
        if any(mark in stack for mark in marks):
            return name
    return "other (event loop, threads)"


def shares(profile: Path) -> Counter[str]:
    samples: Counter[str] = Counter()
    for line in profile.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        stage = stage_of(stack)
        if stage is not None and count.isdigit():
            in_child = _CHILD in stack.split(";", 2)[1] if ";" in stack else False
            samples[f"{stage} [role process]" if in_child else stage] += int(count)
    return samples


def report(samples: Counter[str], rate: float) -> None:
    startup = STAGES[0][0]
    starting = {startup, f"{startup} [role process]"}
    busy = sum(n for stage, n in samples.items() if stage not in starting)
    print(f"\nstreams worker draining: {rate:,.0f} events/s under the profiler")
    started = sum(samples[stage] for stage in starting)
    print(f"busy samples after start-up: {busy:,} ({started:,} more in start-up)\n")
    print(f"{'stage':44s} {'samples':>8s} {'share':>7s}")
    for stage, count in samples.most_common():
        if stage not in starting:
            print(f"{stage:44s} {count:8,d} {count / busy:7.1%}")
    faust = sum(n for stage, n in samples.items() if stage.startswith(("Faust", "Kafka")))
    ours = busy - faust - samples["other (event loop, threads)"]
    print(f"\nFaust and the clients {faust / busy:.1%}; SitePulse's steps {ours / busy:.1%}")
    child = sum(
        n for stage, n in samples.items() if "[role process]" in stage and stage not in starting
    )
    print(f"the worker process {busy - child:,} samples, its role processes {child:,}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--rate", type=int, default=250, help="samples a second")
    parser.add_argument("--roles", default=ALL_ROLES, help="the worker's SITEPULSE_STREAMS_ROLES")
    args = parser.parse_args()
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if spy is None:
        raise SystemExit("py-spy is not installed: scripts/test installs it (pyproject dev)")
    out = REPO / ".sitepulse" / "profile"
    out.mkdir(parents=True, exist_ok=True)
    profile = out / "streams.txt"
    profile.unlink(missing_ok=True)
    under = [spy, "record", "--subprocesses", "--rate", str(args.rate), "--format", "raw"]
    under += ["-o", str(profile), "--"]
    print("starting a throwaway stack …", flush=True)
    with ephemeral_stack(out / "stack") as settings:
        rate = asyncio.run(streams_drain(settings, args.events, roles=args.roles, under=under))
    report(shares(profile), rate)
    print(f"\nraw profile: {profile.relative_to(REPO)}")


if __name__ == "__main__":
    main()

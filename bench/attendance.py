"""ClickHouse sink throughput beside raw columnar inserts, and the p95 of the dashboard
queries over 10 million synthetic attendance rows, on the ClickHouse 18.16 server.

- sink: what the streams worker does per flush, from pass events to an insert
  (:func:`pass_columns` + ``PassSink.write``), beside clickhouse-driver's columnar insert of
  ready columns of the same rows, into the same table, in the same run;
- attendance rows: ``AttendanceRecord.row()`` + the Executor insert beside a ready insert;
- queries: every attendance query the API runs, 30 times each with random projects and
  workers, over ``--rows`` rows made by ``INSERT … SELECT FROM numbers()`` on the server.

    .venv/bin/python bench/attendance.py [--events 200000] [--rows 10000000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics import attendance_queries as q
from analytics.attendance_sink import ATTENDANCE_COLUMNS, AttendanceRecord
from analytics.clickhouse import connect
from analytics.executor import DriverExecutor
from analytics.sink import PASS_COLUMNS, PassSink, pass_columns
from infra.launch.ephemeral import ephemeral_stack
from streams.attendance.timeline import AttendanceDay
from streams.local_time import BEIJING
from streams.records import Direction, PassEvent, PassMethod

PROJECTS, WORKERS, DAYS = 50, 2000, 100
FIRST_DAY = date(2026, 8, 1)


def synthetic_passes(count: int, *, prefix: str) -> list[PassEvent]:
    start = datetime(2026, 11, 20, tzinfo=UTC)
    return [
        PassEvent(
            event_id=f"{prefix}:{n}",
            device_id=f"G{n % 40}",
            project_id=f"P{n % PROJECTS:03d}",
            worker_id=str(n % WORKERS),
            direction=Direction.IN if n % 2 else Direction.OUT,
            method=PassMethod.FACE,
            occurred_at=start + timedelta(seconds=n),
            received_at=start + timedelta(seconds=n),
            score=0.9,
            snapshot_ref=f"P{n % PROJECTS:03d}/2026-11-20/G_{n}.jpg",
        )
        for n in range(count)
    ]


def synthetic_records(count: int) -> list[AttendanceRecord]:
    records = []
    for n in range(count):
        day = FIRST_DAY + timedelta(days=n % DAYS)
        entered = datetime.combine(day, datetime.min.time(), BEIJING) + timedelta(hours=7)
        figures = AttendanceDay(
            day, entered, entered + timedelta(hours=10), 36000, 1, 2, 0, frozenset(), False
        )
        records.append(AttendanceRecord(f"P{n % PROJECTS:03d}", str(n), "1", "木工", figures, 1))
    return records


def interleaved(
    ours: Callable[[int, int], object],
    raw: Callable[[int, int], object],
    rows: int,
    rounds: int = 6,
) -> tuple[float, float]:
    """Median rows/s of each side over ``rounds`` alternating slices of the same rows:
    background merges hit both sides alike."""
    size = rows // rounds
    our_rates: list[float] = []
    raw_rates: list[float] = []
    for index in range(rounds):
        part = (index * size, (index + 1) * size)
        pair = [(ours, our_rates), (raw, raw_rates)]
        for action, rates in pair if index % 2 else reversed(pair):
            started = time.perf_counter()
            action(*part)
            rates.append(size / (time.perf_counter() - started))
    return statistics.median(our_rates), statistics.median(raw_rates)


def bench_sink(url: str, events: int) -> None:
    client = connect(url)
    batch = 1000  # the worker's SITEPULSE_SINK_BATCH_ROWS
    # Each side writes its own copy of the rows (other event ids), so neither replaces the other.
    passes = {side: synthetic_passes(events, prefix=side) for side in ("ours", "raw")}
    ready = pass_columns(passes["raw"])
    insert = f"INSERT INTO gate_passes ({', '.join(PASS_COLUMNS)}) VALUES"
    sink = PassSink(client)

    def ours(first: int, last: int) -> None:
        for i in range(first, last, batch):
            sink.write(passes["ours"][i : min(i + batch, last)])

    def raw(first: int, last: int) -> None:
        for i in range(first, last, batch):
            client.execute(insert, [c[i : min(i + batch, last)] for c in ready], columnar=True)

    our_rate, raw_rate = interleaved(ours, raw, events)
    print(f"gate_passes, {events:,} rows per side in batches of {batch}, median of 6 rounds:")
    print(f"  raw columnar insert of ready columns (baseline) {raw_rate:12,.0f} rows/s")
    print(
        f"  PassSink (events → columns → insert)           {our_rate:12,.0f} rows/s"
        f"   ({100 * our_rate / raw_rate:.1f} % of raw)"
    )

    records = synthetic_records(events // 4)
    db = DriverExecutor(client)
    ready_rows = [record.row() for record in records]
    attendance_insert = f"INSERT INTO attendance_days ({', '.join(ATTENDANCE_COLUMNS)}) VALUES"

    def ours_attendance(first: int, last: int) -> None:
        for i in range(first, last, batch):
            rows = [r.row() for r in records[i : min(i + batch, last)]]
            db.insert("attendance_days", ATTENDANCE_COLUMNS, rows)

    def raw_attendance(first: int, last: int) -> None:
        for i in range(first, last, batch):
            client.execute(attendance_insert, ready_rows[i : min(i + batch, last)])

    our_rate, raw_rate = interleaved(ours_attendance, raw_attendance, len(records))
    print(f"attendance_days, {len(records):,} rows, median of 6 rounds:")
    print(f"  raw insert of ready rows (baseline)            {raw_rate:12,.0f} rows/s")
    print(
        f"  AttendanceRecord.row() + Executor.insert        {our_rate:12,.0f} rows/s"
        f"   ({100 * our_rate / raw_rate:.1f} % of raw)"
    )
    client.execute("TRUNCATE TABLE attendance_days")


def fill(url: str, rows: int) -> float:
    """``rows`` attendance rows: 50 projects × 2,000 workers × 100 days (and more)."""
    client = connect(
        url,
    )
    started = time.perf_counter()
    client.execute(
        "INSERT INTO attendance_days SELECT"
        f" concat('P', substring(toString(1000 + number % {PROJECTS}), 2)) AS project_id,"
        f" toString(intDiv(number, {PROJECTS}) % {WORKERS}) AS worker_id,"
        f" toDate('{FIRST_DAY}') + intDiv(number, {PROJECTS * WORKERS}) % {DAYS} AS day,"
        " toString(number % 20) AS team_id,"
        " ['木工', '钢筋工', '电工', '架子工'][number % 4 + 1] AS trade,"
        " toDateTime(day) + 23 * 3600 + number % 3600 AS first_in,"
        " toDateTime(day) + 33 * 3600 AS last_out,"
        " toUInt32(36000 - number % 3600) AS seconds_on_site, toUInt16(1), toUInt16(2),"
        " toUInt16(0), emptyArrayString(), toUInt8(0), toUInt64(1)"
        f" FROM system.numbers LIMIT {rows}"
    )
    return time.perf_counter() - started


def bench_queries(url: str, rows: int, repeats: int = 30) -> None:
    seconds = fill(url, rows)
    print(
        f"\nfilled attendance_days with {rows:,} rows in {seconds:.1f} s"
        f" ({PROJECTS} projects × {WORKERS} workers × {DAYS} days pattern)"
    )
    db = DriverExecutor(connect(url))
    rng = random.Random(5)
    last_day = FIRST_DAY + timedelta(days=DAYS - 1)
    month = (date(2026, 10, 1), date(2026, 10, 31))
    roster = [str(n) for n in range(WORKERS)]

    def project() -> str:
        return f"P{rng.randrange(PROJECTS):03d}"

    queries: dict[str, Callable[[], Any]] = {
        "worker calendar (one month)": lambda: q.worker_calendar(
            db, str(rng.randrange(WORKERS)), [project()], *month
        ),
        "project by day (100 days)": lambda: q.project_attendance(
            db, project(), FIRST_DAY, last_day
        ),
        "project by week and team": lambda: q.project_attendance(
            db, project(), FIRST_DAY, last_day, period="week", group="team"
        ),
        "project by month and trade": lambda: q.project_attendance(
            db, project(), FIRST_DAY, last_day, period="month", group="trade"
        ),
        "update rate (30 days, 2,000 roster)": lambda: q.workers_seen(
            db, project(), roster, last_day - timedelta(days=29), last_day
        ),
        "key-position presence (month)": lambda: q.days_present(db, project(), roster[:6], *month),
        "working days (month)": lambda: q.working_days(db, project(), *month),
    }
    print(f"dashboard queries, {repeats} runs each (ClickHouse 18.16, FINAL reads):")
    for name, run in queries.items():
        timed(name, run, repeats)


def timed(name: str, run: Callable[[], Any], repeats: int, width: int = 38) -> None:
    """Print the p50 and p95 of ``repeats`` runs of ``run`` after one warm-up run."""
    run()
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    print(
        f"  {name:<{width}} p50 {statistics.median(timings):7.1f} ms"
        f"   p95 {timings[int(0.95 * (len(timings) - 1))]:7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args()
    data_dir = Path(__file__).resolve().parents[1] / ".sitepulse" / f"bench-{uuid.uuid4().hex[:6]}"
    with ephemeral_stack(data_dir, with_services=False) as settings:
        bench_sink(settings.clickhouse_url, args.events)
        bench_queries(settings.clickhouse_url, args.rows)


if __name__ == "__main__":
    main()

"""The p95 of the wage-monitoring queries over 10 million attendance rows and 1 million
wage lines, on the ClickHouse 18.16 server, beside the attendance dashboard queries and a
bare scan of the same wage rows, measured in the same run.

- wage queries: what ``GET /v1/wages`` and the wage warnings run (one project's month, all
  50 projects' month, every worker's paid total of a month, one worker's months);
- beside them, in the same run: the attendance queries of the project page, and a raw
  ``count()`` over the month's wage lines (the floor any wage query stands on).

    .venv/bin/python bench/wages.py [--rows 10000000] [--wage-rows 1000000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from attendance import DAYS, FIRST_DAY, PROJECTS, WORKERS, fill, timed  # bench/attendance.py

from analytics import attendance_queries as q
from analytics import wage_queries as wq
from analytics.clickhouse import connect
from analytics.executor import DriverExecutor
from infra.launch.ephemeral import ephemeral_stack

MONTHS = 4  # August to November, like the attendance rows


def fill_wages(url: str, rows: int) -> float:
    """``rows`` wage lines: 50 projects × 2,000 workers × 4 months, 5 % failed."""
    started = time.perf_counter()
    connect(url).execute(
        "INSERT INTO wage_lines SELECT"
        " number AS line_id, intDiv(number, 2000) AS sheet_id,"
        f" concat('P', substring(toString(1000 + number % {PROJECTS}), 2)) AS project_id,"
        " toUInt64(1) AS enterprise_id,"
        f" addMonths(toDate('{FIRST_DAY:%Y-%m}-01'),"
        f" intDiv(number, {PROJECTS * WORKERS}) % {MONTHS}) AS month, 'regular' AS kind,"
        f" toString(intDiv(number, {PROJECTS}) % {WORKERS}) AS worker_id,"
        " toUInt32(1), toUInt8(1), toUInt8(20 + number % 6),"
        " toInt64(400000 + number % 300000) AS amount_fen,"
        " if(number % 20 = 0, 'failed', 'paid') AS status,"
        " if(number % 20 = 0, NULL, addDays(addMonths(month, 1), 4)) AS paid_on,"
        " if(number % 20 = 0, '账户已销户', '') AS reason, toUInt64(1) AS version"
        f" FROM system.numbers LIMIT {rows}"
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--wage-rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    data_dir = Path(__file__).resolve().parents[1] / ".sitepulse" / f"bench-{uuid.uuid4().hex[:6]}"
    with ephemeral_stack(data_dir, with_services=False) as settings:
        url = settings.clickhouse_url
        seconds = fill(url, args.rows)
        print(f"filled attendance_days with {args.rows:,} rows in {seconds:.1f} s")
        seconds = fill_wages(url, args.wage_rows)
        print(f"filled wage_lines with {args.wage_rows:,} rows in {seconds:.1f} s")
        db = DriverExecutor(connect(url))
        rng = random.Random(5)
        october = date(2026, 10, 1)
        projects = [f"P{n:03d}" for n in range(PROJECTS)]
        last_day = FIRST_DAY.replace(day=1)

        def project() -> str:
            return rng.choice(projects)

        print(f"\n{args.repeats} runs each (ClickHouse 18.16, FINAL reads):")
        print(" baseline, same rows:")
        timed(
            "raw count() of one project's month of lines",
            lambda: db.rows(
                "SELECT count() FROM wage_lines WHERE project_id = %(p)s AND month = %(m)s",
                {"p": project(), "m": october},
            ),
            args.repeats,
            width=44,
        )
        timed(
            "attendance: project by day (100 days)",
            lambda: q.project_attendance(db, project(), FIRST_DAY, last_day.replace(month=11)),
            args.repeats,
            width=44,
        )
        timed(
            "attendance: update rate (30 days)",
            lambda: q.workers_seen(
                db,
                project(),
                [str(n) for n in range(WORKERS)],
                date(2026, 10, 1),
                date(2026, 10, 30),
            ),
            args.repeats,
            width=44,
        )
        print(" wage monitoring:")
        timed(
            "one project's month (attended vs paid)",
            lambda: wq.month_wages(db, [project()], october),
            args.repeats,
            width=44,
        )
        timed(
            "all 50 projects' month (region overview)",
            lambda: wq.month_wages(db, projects, october),
            args.repeats,
            width=44,
        )
        timed(
            "all 50 projects' month, counted in ClickHouse",
            lambda: wq.month_counts(db, projects, october),
            args.repeats,
            width=44,
        )
        timed(
            "every worker's paid total of a month",
            lambda: wq.worker_paid_totals(db, october, date(2026, 10, 31)),
            args.repeats,
            width=44,
        )
        timed(
            "one worker's months (attendance vs pay)",
            lambda: wq.worker_months(
                db, str(rng.randrange(WORKERS)), [project()], FIRST_DAY, date(2026, 11, 30)
            ),
            args.repeats,
            width=44,
        )
        print(f"(pattern: {PROJECTS} projects × {WORKERS} workers × {DAYS} days / {MONTHS} months)")


if __name__ == "__main__":
    main()

"""Every ClickHouse migration and query, on the 18.16 server and on a current ClickHouse
(chdb), with the same rows: both must accept the SQL and give the same answers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from analytics import alert_queries as aq
from analytics import attendance_queries as q
from analytics import wage_queries as wq
from analytics.attendance_sink import ATTENDANCE_COLUMNS, AttendanceRecord
from analytics.clickhouse import connect
from analytics.executor import DriverExecutor, Executor
from analytics.migrate import migrate_clickhouse
from analytics.retention import apply_retention
from analytics.sink import PASS_COLUMNS, pass_row
from analytics.wage_sink import LINE_COLUMNS, line_row
from infra.migrations import discover
from infra.settings import Settings
from streams.attendance.timeline import AttendanceDay, Flag
from streams.local_time import BEIJING
from streams.records import Direction, PassEvent, PassMethod, PayrollFact, Verification
from tests.chdb_executor import ChdbExecutor


def beijing(day: date, clock: str) -> datetime:
    hours, minutes = (int(part) for part in clock.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=BEIJING)


AUG, NOV = date(2026, 8, 3), date(2026, 11, 20)


def sample_passes() -> list[PassEvent]:
    made = []
    specs: list[tuple[str, str | None, date, str, Direction, Verification | None]] = [
        ("G1:1", "7", NOV, "07:30", Direction.IN, None),
        ("G1:2", "7", NOV, "17:45", Direction.OUT, None),
        ("G1:3", "8", NOV, "07:50", Direction.IN, Verification.MISMATCH),
        ("G1:4", None, NOV, "08:10", Direction.UNKNOWN, None),  # an unknown face
        ("G1:5", "7", NOV, "00:30", Direction.OUT, None),  # Beijing day, previous UTC day
        ("G1:6", "7", AUG, "07:30", Direction.IN, None),
    ]
    for event_id, worker, day, clock, direction, verification in specs:
        occurred = beijing(day, clock).astimezone(UTC)
        made.append(
            PassEvent(
                event_id=event_id,
                device_id="G1",
                project_id="P1",
                worker_id=worker,
                direction=direction,
                method=PassMethod.FACE,
                occurred_at=occurred,
                received_at=occurred,
                score=0.8 if worker else 0.2,
                snapshot_ref=f"P1/{day}/{event_id.replace(':', '_')}.jpg",
                verification=verification,
            )
        )
    return made


def sample_days() -> list[AttendanceRecord]:
    def day(on: date, first: str | None, last: str | None, seconds: int, *flags: Flag) -> Any:
        return AttendanceDay(
            day=on,
            first_in=beijing(on, first) if first else None,
            last_out=beijing(on, last) if last else None,
            seconds_on_site=seconds,
            sessions=1,
            swipes=2 if first and last else 1,
            repeats_dropped=0,
            flags=frozenset(flags),
            on_site=False,
        )

    return [
        AttendanceRecord("P1", "7", "3", "木工", day(NOV, "07:30", "17:45", 36900), 1),
        AttendanceRecord("P1", "7", "3", "木工", day(NOV, "07:30", "17:50", 37200), 2),  # newer
        AttendanceRecord(
            "P1", "8", "3", "钢筋工", day(NOV, "07:50", None, 0, Flag.MISSING_EXIT), 1
        ),
        AttendanceRecord("P1", "9", "", "电工", day(date(2026, 11, 16), None, "17:00", 0), 1),
        AttendanceRecord("P1", "7", "3", "木工", day(AUG, "07:30", "12:00", 16200), 1),
        AttendanceRecord("P2", "7", "", "木工", day(NOV, "19:00", "23:00", 14400), 1),
    ]


def run_every_query(db: Executor) -> dict[str, Any]:
    nov = (date(2026, 11, 1), date(2026, 11, 30))
    return {
        "calendar": q.worker_calendar(db, "7", ["P1"], *nov),
        "calendar_two_projects": q.worker_calendar(db, "7", ["P1", "P2"], *nov),
        "day_passes": q.worker_day_passes(db, "7", ["P1"], NOV),
        "by_day": q.project_attendance(db, "P1", *nov),
        "by_week_team": q.project_attendance(db, "P1", *nov, period="week", group="team"),
        "by_month_trade": q.project_attendance(
            db, "P1", date(2026, 8, 1), nov[1], period="month", group="trade"
        ),
        "seen": q.workers_seen(db, "P1", ["7", "8", "10"], *nov),
        "last_seen": q.last_days_seen_of(db, ["P1", "P2"], *nov),
        "days_present": q.days_present(db, "P1", ["7", "9"], *nov),
        "working_days": q.working_days(db, "P1", *nov),
        "working_days_of": q.working_days_of(db, ["P1", "P2", "P9"], *nov),
        "unknown_faces": aq.unknown_faces_by_gate_of(
            db, ["P1", "P2"], datetime(2026, 11, 1, tzinfo=UTC)
        ),
        "month_totals": q.month_totals(db, "P1", *nov),
        "project_days": q.project_days(db, ["P1"], date(2026, 8, 1), nov[1]),
        "expired": q.expired_partitions(db, "gate_passes", 2, date(2026, 11, 21)),
        "wages": wq.month_wages(db, ["P1"], NOV),
        "wages_paid_by_november": wq.month_wages(db, ["P1"], NOV, paid_by=date(2026, 11, 30)),
        "months": wq.months_wages(db, ["P1", "P2"], date(2026, 8, 1), NOV),
        "teams": wq.teams_of_workers(db, "P1", NOV),
        "enterprises": wq.enterprises_of_workers(db, "P1", NOV),
        "counts": wq.month_counts(db, ["P1", "P2"], NOV),
        "counts_all_paid": wq.month_counts(db, ["P1"], date(2026, 8, 1)),
        "worker_totals": wq.worker_paid_totals(db, date(2026, 11, 1), date(2026, 11, 30)),
        "worker_months": wq.worker_months(
            db, "7", ["P1", "P2"], date(2026, 8, 1), date(2026, 11, 30)
        ),
    }


def sample_wage_facts() -> list[PayrollFact]:
    def fact(seq: int, line: int, worker: str, amount: str, status: str, **more: Any) -> Any:
        data = {
            "line_id": line,
            "sheet_id": 1,
            "project_id": "P1",
            "enterprise_id": 3,
            "month": "2026-11",
            "worker_id": worker,
            "days_worked": 20,
            "amount": amount,
            "status": status,
            **more,
        }
        return PayrollFact(fact="line", key="sheet:1", data=data, seq=seq, at=datetime.now(UTC))

    return [
        fact(1, 1, "7", "6000.00", "pending"),
        fact(5, 1, "7", "6000.00", "paid", paid_on="2026-12-05"),  # the newer state wins
        fact(2, 2, "8", "5000.50", "failed", reason="账户已销户"),
        fact(3, 3, "9", "100.00", "pending", current=False),  # an older revision's line
    ]


def load(db: Executor) -> None:
    passes = sample_passes()
    db.insert("gate_passes", PASS_COLUMNS, [pass_row(p) for p in passes])
    db.insert("gate_passes", PASS_COLUMNS, [pass_row(passes[0])])  # a replayed pass
    db.insert("attendance_days", ATTENDANCE_COLUMNS, [r.row() for r in sample_days()])
    db.insert("wage_lines", LINE_COLUMNS, [line_row(f) for f in sample_wage_facts()])


@pytest.fixture
def server(stack: Settings) -> Iterator[Executor]:
    database = f"dialect_{uuid.uuid4().hex[:8]}"
    url = stack.clickhouse_url.rsplit("/", 1)[0] + f"/{database}"
    migrate_clickhouse(url)
    yield DriverExecutor(connect(url))
    connect(url, database="").execute(f"DROP DATABASE {database}")


def test_every_migration_and_query_agrees_on_18_16_and_current_clickhouse(
    server: Executor, tmp_path: Path
) -> None:
    current = ChdbExecutor(tmp_path / "chdb")
    try:
        for migration in discover("analytics"):
            for statement in migration.statements:
                current.rows(statement)
        for db in (server, current):
            load(db)
        old, new = run_every_query(server), run_every_query(current)
        assert old == new
        version = server.rows("SELECT version()")[0][0]
        assert version.startswith("18.16") and not current.rows("SELECT version()")[0][
            0
        ].startswith("18.")
        keep = {"gate_passes": 2, "attendance_days": 2}
        assert apply_retention(current, date(2026, 11, 21), keep) == {
            "gate_passes": [202608],
            "attendance_days": [202608],
        }
        apply_retention(server, date(2026, 11, 21), keep)
        after = run_every_query(server)
        assert after == run_every_query(current)
        assert {f.period for f in after["by_month_trade"]} == {date(2026, 11, 1)}  # August gone
    finally:
        current.close()
    # The answers themselves, checked once (both engines agree on them).
    # The newer version of the day replaced the older one; P2 shows only when asked for.
    assert [(d.day, d.seconds_on_site) for d in old["calendar"]] == [(NOV, 37200)]
    assert [d.project_id for d in old["calendar_two_projects"]] == ["P1", "P2"]
    assert [p.occurred_at for p in old["day_passes"]] == [
        datetime(2026, 11, 19, 16, 30),  # 00:30 Beijing belongs to the 20th
        datetime(2026, 11, 19, 23, 30),
        datetime(2026, 11, 20, 9, 45),
    ]
    assert [(f.period, f.workers, f.person_days) for f in old["by_day"]] == [
        (date(2026, 11, 16), 1, 1),
        (NOV, 2, 2),
    ]
    assert {(f.group, f.workers) for f in old["by_week_team"]} == {("", 1), ("3", 2)}
    assert old["seen"] == {"7", "8"}
    assert old["last_seen"]["P1"] == {"7": NOV, "8": NOV, "9": date(2026, 11, 16)}
    assert old["days_present"] == {"7": 1, "9": 1}
    assert old["working_days"] == 2 and old["working_days_of"]["P1"] == 2
    assert "P9" not in old["working_days_of"]  # no attendance: left out
    assert old["unknown_faces"] == {"P1": {"G1": 1}}  # G1:4, a face nobody matched
    assert old["month_totals"] == {"7": (1, 37200), "8": (1, 0), "9": (1, 0)}
    nov_day = next(d for d in old["project_days"] if d.day == NOV)
    assert (nov_day.passes, nov_day.workers, nov_day.unknown_faces, nov_day.mismatches) == (
        5,
        2,
        1,
        1,
    )
    assert old["expired"] == [202608]
    wages = old["wages"]["P1"]
    assert wages.paid_fen == {"7": 600000} and wages.recorded == frozenset({"7", "8"})
    assert wages.attended == {"7": 1, "8": 1, "9": 1} and wages.failed_lines == 1
    assert wages.unpaid_attended == ["8", "9"] and wages.unrecorded_attended == ["9"]
    assert old["wages_paid_by_november"]["P1"].paid_fen == {}
    months = old["months"]
    assert sorted(months) == [date(2026, m, 1) for m in (8, 9, 10, 11)]
    november = months[date(2026, 11, 1)]
    assert november["P1"] == wages and november["P2"].unpaid_attended == ["7"]
    assert months[date(2026, 8, 1)]["P1"].attended == {"7": 1}
    assert months[date(2026, 9, 1)]["P1"] == wq.MonthWages("P1", date(2026, 9, 1))
    assert set(old["teams"]) == {"7", "8", "9"} and set(old["teams"].values()) <= {"", "3"}
    assert old["enterprises"] == {"7": "3", "8": "3"}
    assert old["counts"]["P1"] == wq.MonthCounts("P1", 3, 3, 1, 600000, 2, 1, 1)
    assert old["counts"]["P2"] == wq.MonthCounts("P2", 1, 1, 0, 0, 1, 1, 0)
    assert old["counts_all_paid"]["P1"] == wq.MonthCounts("P1", 1, 1, 0, 0, 1, 1, 0)
    assert old["worker_totals"] == {"7": {"P1": 600000}}
    assert old["worker_months"] == [
        (date(2026, 8, 1), "P1", 1, 0, 0),
        (date(2026, 11, 1), "P1", 1, 600000, 1),
        (date(2026, 11, 1), "P2", 1, 0, 0),
    ]

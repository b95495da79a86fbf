"""The scheduled evaluation: gather each project's facts from PostgreSQL, ClickHouse and
Redis, run the pure rules, plan the lifecycle and apply it. Idempotent: running it twice
on the same facts changes nothing the second time."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from psycopg import AsyncConnection
from redis.asyncio import Redis

from alerts.lifecycle import plan
from alerts.payroll_reads import (
    MonitoredProject,
    failures_not_repaid,
    monitored_projects,
    recent_exits,
    regular_sheet_states,
)
from alerts.profiles import RuleProfile, profile_for
from alerts.registry_reads import key_position_holders_of
from alerts.rules import (
    ATTENDANCE_RULES,
    WAGE_RULES,
    Finding,
    KeyHolder,
    ProjectFacts,
    Rule,
    attendance_hold,
    cross_project,
    evaluate_project,
    smallest_offset,
)
from alerts.store import Transition, apply_plan, load_alerts, load_overrides, mark_held
from alerts.wage_rules import (
    ARREARS_MONTHS,
    ExitFact,
    WageFacts,
    due_month,
    evaluate_wages,
    previous_month,
)
from analytics import alert_queries as aq
from analytics import attendance_queries as q
from analytics import wage_queries as wq
from analytics.executor import Executor
from infra.metrics import ERRORS, EVALUATION_SECONDS, PROJECTS_EVALUATED
from streams.channels import device_clock_key, device_seen_key, presence_key
from streams.live_messages import PresenceMessage, parse_live
from streams.local_time import BEIJING

log = logging.getLogger(__name__)

# The rules a project evaluation always judges (so their absence clears an alert).
PROJECT_RULES = frozenset(set(Rule) - {Rule.CROSS_PROJECT} - WAGE_RULES)


async def _projects(
    conn: AsyncConnection[Any],
) -> list[tuple[str, str, date | None, bool, int | None]]:
    cursor = await conn.execute(
        "SELECT project_id, region_code, briefing_date, status = 'suspended', site_limit"
        " FROM projects WHERE status IN ('preparing', 'active', 'suspended') ORDER BY project_id"
    )
    return [tuple(row) for row in await cursor.fetchall()]


@dataclass(frozen=True)
class SharedFacts:
    """What the evaluation reads from PostgreSQL and Redis, for every project at once (a
    few grouped round trips, not a few per project)."""

    rosters: dict[str, dict[str, date]]  # project -> worker -> entry date
    devices: dict[str, dict[str, datetime]]  # project -> working gate -> registered at
    holders: dict[str, list[dict[str, Any]]]
    presence: dict[str, bytes | str | None]
    seen_at: dict[str, bytes | str | None]  # gate -> last contact (unix seconds)
    clocks: dict[str, bytes | str | None]  # gate -> recent clock offsets
    # From ClickHouse, one grouped query each:
    last_seen: dict[str, dict[str, date]]  # project -> worker -> last day attended
    days_present: dict[str, dict[str, int]]  # project -> worker -> days this month
    working_days: dict[str, int]  # project -> days anybody attended this month
    unknown_faces: dict[str, dict[str, int]]  # project -> gate -> in its recent window


async def shared_facts(
    conn: AsyncConnection[Any],
    redis: Redis,
    db: Executor,
    namespace: str,
    profiles: dict[str, RuleProfile],
    now: datetime,
) -> SharedFacts:
    """Every project's facts, each store read a few times in all (not per project)."""
    project_ids = list(profiles)
    today = now.astimezone(BEIJING).date()
    month_start = today.replace(day=1)
    rosters: dict[str, dict[str, date]] = {p: {} for p in project_ids}
    cursor = await conn.execute(
        "SELECT project_id, worker_id::text, entry_date FROM memberships"
        " WHERE project_id = ANY(%s) AND status = 'active'",
        (project_ids,),
    )
    for project, worker, entered in await cursor.fetchall():
        rosters[project][worker] = entered
    devices: dict[str, dict[str, datetime]] = {p: {} for p in project_ids}
    cursor = await conn.execute(
        "SELECT project_id, device_id, created_at FROM devices"
        " WHERE project_id = ANY(%s) AND disabled_at IS NULL",
        (project_ids,),
    )
    for project, device, created in await cursor.fetchall():
        devices[project][device] = created
    holders = await key_position_holders_of(conn, project_ids, month_start, today)
    gates = [gate for per_project in devices.values() for gate in per_project]
    async with redis.pipeline(transaction=False) as pipe:
        pipe.mget([presence_key(namespace, p) for p in project_ids] or ["-"])
        pipe.hmget(device_seen_key(namespace), gates or ["-"])
        pipe.hmget(device_clock_key(namespace), gates or ["-"])
        presence, seen_at, clocks = await pipe.execute()
    # The widest window any region's profile asks for; each project reads its own part.
    earliest = min(
        (_attendance_window(profile, today)[0] for profile in profiles.values()), default=today
    )
    last_seen = await asyncio.to_thread(q.last_days_seen_of, db, project_ids, earliest, today)
    present = await asyncio.to_thread(q.days_present_of, db, project_ids, month_start, today)
    working = await asyncio.to_thread(q.working_days_of, db, project_ids, month_start, today)
    unknown: dict[str, dict[str, int]] = {}
    by_window: dict[int, list[str]] = {}
    for project, profile in profiles.items():
        by_window.setdefault(profile.unknown_faces_minutes, []).append(project)
    for minutes, group in by_window.items():  # one query per window length (a few regions)
        since = now - timedelta(minutes=minutes)
        unknown |= await asyncio.to_thread(aq.unknown_faces_by_gate_of, db, group, since)
    return SharedFacts(
        rosters=rosters,
        devices=devices,
        holders=holders,
        presence=dict(zip(project_ids, presence, strict=False)),
        seen_at=dict(zip(gates, seen_at, strict=False)),
        clocks=dict(zip(gates, clocks, strict=False)),
        last_seen=last_seen,
        days_present=present,
        working_days=working,
        unknown_faces=unknown,
    )


def _attendance_window(profile: RuleProfile, today: date) -> tuple[date, date]:
    """(the update rate's first day, the day before which a worker counts as stale)."""
    window_start = today - timedelta(days=profile.update_rate_days - 1)
    stale_since = today - timedelta(days=profile.missed_exit_days)
    return min(window_start, stale_since), stale_since


def project_facts(
    shared: SharedFacts,
    project: tuple[str, str, date | None, bool, int | None],
    profile: RuleProfile,
    now: datetime,
    spans: dict[str, tuple[date, date]],
) -> ProjectFacts:
    """One project's facts out of everybody's (pure)."""
    project_id, region, briefing, stopped, limit = project
    today = now.astimezone(BEIJING).date()
    roster = shared.rosters.get(project_id, {})
    window_start = today - timedelta(days=profile.update_rate_days - 1)
    _, stale_since = _attendance_window(profile, today)
    last_seen = shared.last_seen.get(project_id, {})
    seen = {w for w in roster if w in last_seen and last_seen[w] >= window_start}
    stale: dict[str, date | None] = {
        w: None
        for w, entered in roster.items()
        if entered < stale_since and (w not in last_seen or last_seen[w] < stale_since)
    }
    holders = shared.holders.get(project_id, [])
    present = shared.days_present.get(project_id, {})
    raw = shared.presence.get(project_id)
    live = parse_live(raw) if raw else None
    if raw and not isinstance(live, PresenceMessage):
        raise ValueError(f"the presence of {project_id} in Redis is not a presence message")
    presence = (
        live
        if isinstance(live, PresenceMessage)
        else PresenceMessage(project_id=project_id, headcount=0)
    )
    devices = shared.devices.get(project_id, {})
    return ProjectFacts(
        project_id=project_id,
        region_code=region,
        roster=len(roster),
        updated_workers=len(seen),
        last_attendance_day=spans[project_id][1] if project_id in spans else None,
        first_attendance_day=spans[project_id][0] if project_id in spans else None,
        briefing_date=briefing,
        stopped=bool(stopped),
        key_holders=[
            KeyHolder(h["worker_id"], h["position"], present.get(h["worker_id"], 0))
            for h in holders
        ],
        working_days_this_month=shared.working_days.get(project_id, 0),
        stale_workers=stale,
        inside_since={w: datetime.fromisoformat(t) for w, t in presence.since.items()},
        headcount=presence.headcount,
        site_limit=limit,
        devices_last_seen={device: _unix_time(shared.seen_at.get(device)) for device in devices},
        devices_registered_at=devices,
        devices_clock_offset_s={
            device: offset
            for device in devices
            if (offset := smallest_offset(shared.clocks.get(device))) is not None
        },
        unknown_faces_by_gate=shared.unknown_faces.get(project_id, {}),
    )


def _unix_time(raw: bytes | str | None) -> datetime | None:
    return None if raw is None else datetime.fromtimestamp(float(raw), UTC)


async def wage_findings(
    conn: AsyncConnection[Any],
    db: Executor,
    overrides: dict[str, dict[str, Any]],
    now: datetime,
) -> tuple[list[Finding], set[tuple[str, str]]]:
    """The wage warnings of every running project, and the (rule, project) pairs judged."""
    today = now.astimezone(BEIJING).date()
    projects = await monitored_projects(conn)
    profiles = {p.project_id: _wage_profile(p, overrides) for p in projects}
    monitored = [p.project_id for p in projects if p.has_wage_account]
    failures = await failures_not_repaid(conn, monitored)
    exits = await recent_exits(conn, monitored, today - timedelta(days=120))
    last_month = previous_month(today)
    first_month = last_month
    for _ in range(ARREARS_MONTHS - 1):
        first_month = previous_month(first_month)
    history = await asyncio.to_thread(wq.months_wages, db, monitored, first_month, last_month)
    by_due: dict[date, list[str]] = {}
    for pid in monitored:
        by_due.setdefault(due_month(today, profiles[pid].pay_day), []).append(pid)
    states: dict[str, list[str]] = {}
    month_totals: dict[str, dict[str, int]] = {}
    year_totals: dict[str, dict[str, int]] = {}
    elsewhere: dict[str, dict[str, dict[str, int]]] = {}  # project -> worker -> other days
    everyone = [p.project_id for p in projects]
    for month, group in by_due.items():
        states |= await regular_sheet_states(conn, group, month)
        end = wq.month_end(month)
        per_month = await asyncio.to_thread(wq.worker_paid_totals, db, month, end)
        per_year = await asyncio.to_thread(wq.worker_paid_totals, db, month.replace(month=1), end)
        days = await asyncio.to_thread(wq.month_attended_days, db, everyone, month)
        for pid in group:
            month_totals[pid] = {w: sum(t.values()) for w, t in per_month.items()}
            year_totals[pid] = {w: sum(t.values()) for w, t in per_year.items()}
            elsewhere[pid] = _days_elsewhere(pid, days, history[month][pid])
    findings: list[Finding] = []
    for project in projects:
        pid, profile = project.project_id, profiles[project.project_id]
        stale_before = now - timedelta(days=profile.repay_days)
        due = due_month(today, profile.pay_day)
        facts = WageFacts(
            project_id=pid,
            today=today,
            start_date=project.start_date,
            has_wage_account=project.has_wage_account,
            due=history[due][pid] if pid in history.get(due, {}) else wq.MonthWages(pid, due),
            past=[history[m][pid] for m in sorted(history, reverse=True) if pid in history[m]],
            due_sheet_states=states.get(pid, []),
            stale_failures=[line for line, at in failures.get(pid, []) if at < stale_before],
            worker_month_fen=month_totals.get(pid, {}),
            worker_year_fen=year_totals.get(pid, {}),
            exits=[ExitFact(*left) for left in exits.get(pid, [])],
            elsewhere_days=elsewhere.get(pid, {}),
        )
        findings.extend(evaluate_wages(facts, profile))
    evaluated = {(rule.value, p.project_id) for rule in WAGE_RULES for p in projects}
    return findings, evaluated


def _wage_profile(project: MonitoredProject, overrides: dict[str, dict[str, Any]]) -> RuleProfile:
    """The project's region's profile, with the project's own pay day if it has one."""
    profile = profile_for(project.region_code, overrides)
    return profile if project.pay_day is None else replace(profile, pay_day=project.pay_day)


def _days_elsewhere(
    project: str, days: dict[str, dict[str, int]], month: wq.MonthWages
) -> dict[str, dict[str, int]]:
    """For each worker paid on ``project`` in the month, their days on other projects."""
    found: dict[str, dict[str, int]] = {}
    for other, workers in days.items():
        if other == project:
            continue
        for worker in month.paid_fen.keys() & workers.keys():
            found.setdefault(worker, {})[other] = workers[worker]
    return found


async def evaluate_all(
    conn: AsyncConnection[Any], db: Executor, redis: Redis, *, namespace: str, now: datetime
) -> list[Transition]:
    """Evaluate every running project once; returns the transitions to notify about."""
    started = time.perf_counter()
    projects = await _projects(conn)
    overrides = await load_overrides(conn)
    ids = [p[0] for p in projects]
    spans = await asyncio.to_thread(aq.attendance_span, db, ids)
    profiles = {project[0]: profile_for(project[1], overrides) for project in projects}
    shared = await shared_facts(conn, redis, db, namespace, profiles, now)
    findings: list[Finding] = []
    evaluated: set[tuple[str, str]] = set()
    escalate_after = timedelta(minutes=profile_for("").escalate_after_minutes)
    holds: dict[str, str | None] = {}
    for project in projects:
        profile = profiles[project[0]]
        try:
            facts = project_facts(shared, project, profile, now, spans)
            project_findings = evaluate_project(facts, profile, now)
        except Exception:
            # One project's bad data (or a bug it trips) must not stop the others; its
            # rules are not judged this time, so none of its alerts is cleared either.
            ERRORS.labels("alerts", "project_evaluation").inc()
            log.exception("evaluating project %s failed; skipped this round", project[0])
            continue
        findings.extend(project_findings)
        hold = attendance_hold(facts, profile, now)
        holds[project[0]] = hold
        rules = PROJECT_RULES - (ATTENDANCE_RULES if hold is not None else set())
        evaluated |= {(rule.value, project[0]) for rule in rules}
    try:
        wages, judged = await wage_findings(conn, db, overrides, now)
        findings.extend(wages)
        evaluated |= judged
    except Exception:
        # Not judged this time, so no wage alert is cleared either; the others go on.
        ERRORS.labels("alerts", "wage_evaluation").inc()
        log.exception("evaluating the wage warnings failed; skipped this round")
    visits = await asyncio.to_thread(aq.recent_visits, db, now - timedelta(minutes=90))
    known = set(ids)
    findings.extend(f for f in cross_project(visits, profile_for("")) if f.project_id in known)
    evaluated |= {(Rule.CROSS_PROJECT.value, p) for p in ids}
    stored = await load_alerts(conn, ids, [f.key for f in findings])
    changes = plan(findings, stored, evaluated=evaluated, now=now, escalate_after=escalate_after)
    transitions = await apply_plan(conn, changes, now)
    await mark_held(conn, holds, sorted(rule.value for rule in ATTENDANCE_RULES))
    EVALUATION_SECONDS.observe(time.perf_counter() - started)
    PROJECTS_EVALUATED.set(len(holds))
    return transitions

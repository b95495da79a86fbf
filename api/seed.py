"""``sitepulse seed``: a realistic sample region so the demo has people in it.

Guangxi (450000) with Qinzhou (450700) districts: projects ``P001``… (the ids the gate
simulator uses), their general contractors and labour companies, teams by trade, workers
with valid synthetic ID numbers and phones, and one account per role. Deterministic for a
seed value and idempotent: loading twice changes nothing.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import psycopg

from alerts.profiles import RuleProfile
from alerts.wage_rules import due_month
from analytics.attendance_sink import AttendanceRecord
from analytics.wage_queries import month_end
from api.auth.passwords import hash_password
from api.auth.principal import SCOPE_OF_ROLE, Role
from api.identity import id_check_character, uscc_check_character
from api.payroll.sealing import DataSealer
from api.stores.workers import WORKER_COLUMNS, worker_state
from streams.attendance.timeline import AttendanceDay

DEMO_PASSWORD = "SitePulse2026"
# The demo's thresholds for the sample city (钦州, 4507), set the way a regulator sets them
# (alert_rule_overrides): short enough that a visitor sees the simulator's incidents open
# and clear alerts within ten minutes (see infra.launch.simulator.Incidents).
DEMO_REGION_PREFIX = "4507"
DEMO_THRESHOLDS: dict[str, Any] = {"unknown_faces_minutes": 3, "device_offline_minutes": 5}

REGIONS = [
    ("450000", "广西壮族自治区", "province", None),
    ("450700", "钦州市", "city", "450000"),
    ("450702", "钦南区", "district", "450700"),
    ("450703", "钦北区", "district", "450700"),
    ("450721", "灵山县", "district", "450700"),
]
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐韦覃蒙莫黎卢"
_GIVEN = "伟强磊军勇杰涛明超华平刚辉鹏飞斌宇浩凯健俊帆帅海波林东"
_TRADES = ["钢筋工", "木工", "混凝土工", "砌筑工", "架子工", "电工", "焊工", "普工"]
_ETHNICITIES = ["汉族"] * 6 + ["壮族"] * 3 + ["瑶族"]
_PROJECT_NAMES = [
    "钦州港区综合楼工程",
    "灵山县人民医院门诊楼",
    "钦南区保障性住房一期",
    "钦北区中学教学楼",
    "滨海新城市政道路工程",
    "钦州东站配套工程",
]


@dataclass
class SampleRegion:
    enterprises: list[dict[str, Any]] = field(default_factory=list)
    projects: list[dict[str, Any]] = field(default_factory=list)
    teams: list[dict[str, Any]] = field(default_factory=list)
    workers: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)


def _credit_code(rng: random.Random) -> str:
    body = "9145070" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(10))
    return body + uscc_check_character(body)


def _id_number(rng: random.Random, used: set[str]) -> str:
    while True:
        region = rng.choice(["450702", "450703", "450721", "452601", "450105"])
        born = date(1965, 1, 1) + timedelta(days=rng.randrange(0, 38 * 365))
        first17 = f"{region}{born:%Y%m%d}{rng.randrange(0, 1000):03d}"
        number = first17 + id_check_character(first17)
        if number not in used:
            used.add(number)
            return number


def build_sample(*, projects: int = 3, workers: int = 2000, seed: int = 2026) -> SampleRegion:
    """The sample region as plain data (pure)."""
    rng = random.Random(seed)
    sample = SampleRegion()
    districts = [code for code, _, level, _ in REGIONS if level == "district"]
    for index in range(1, projects + 1):
        project_id = f"P{index:03d}"
        contractor = {
            "credit_code": _credit_code(rng),
            "kind": "general_contractor",
            "name": f"广西建工第{index}建筑工程有限公司",
        }
        labour = {
            "credit_code": _credit_code(rng),
            "kind": "labour_company",
            "name": f"钦州市{'安顺恒鑫'[index % 4]}劳务有限公司",
        }
        sample.enterprises += [contractor, labour]
        start = date(2026, 3, 1) + timedelta(days=30 * index)
        sample.projects.append(
            {
                "project_id": project_id,
                "name": _PROJECT_NAMES[(index - 1) % len(_PROJECT_NAMES)],
                "permit_number": f"4507{index:02d}202603{rng.randrange(1000, 9999)}",
                "region_code": districts[(index - 1) % len(districts)],
                "address": f"钦州市第{index}工地",
                "latitude": 21.95 + index / 100,
                "longitude": 108.62 + index / 100,
                "geofence_m": 300,
                "start_date": start,
                "planned_completion": start + timedelta(days=540),
                "briefing_date": start - timedelta(days=7),
                "status": "active",
                "contractor": contractor["credit_code"],
                "labour": labour["credit_code"],
            }
        )
        sample.teams.append(
            {
                "project_id": project_id,
                "enterprise": contractor["credit_code"],
                "name": "项目管理班组",
                "kind": "management",
                "trade": "管理",
            }
        )
        for trade in _TRADES:
            sample.teams.append(
                {
                    "project_id": project_id,
                    "enterprise": labour["credit_code"],
                    "name": f"{trade}班组",
                    "kind": "labour",
                    "trade": trade,
                }
            )
        sample.users.append(
            {
                "login": f"officer-{project_id.lower()}",
                "role": Role.LABOUR_OFFICER,
                "scope_id": project_id,
            }
        )
    used: set[str] = set()
    for index in range(workers):
        project = sample.projects[index % projects]
        trade = _TRADES[rng.randrange(len(_TRADES))]
        sample.workers.append(
            {
                "id_number": _id_number(rng, used),
                "name": rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(2)),
                "ethnicity": rng.choice(_ETHNICITIES),
                "trade": trade,
                "phone": f"1{rng.choice('3578')}{rng.randrange(0, 10**9):09d}",
                "project_id": project["project_id"],
                "team": f"{trade}班组",
                "entry_date": project["start_date"] + timedelta(days=rng.randrange(0, 200)),
            }
        )
    sample.users.append({"login": "regulator-gx", "role": Role.REGULATOR, "scope_id": "450000"})
    return sample


def load_sample(dsn: str, sample: SampleRegion) -> dict[str, int]:
    """Write the sample in a few bulk statements; existing rows are left alone."""
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO regions (code, name, level, parent_code) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING",
            REGIONS,
        )
        cur.executemany(
            "INSERT INTO enterprises (credit_code, name, kind, region_code)"
            " VALUES (%(credit_code)s, %(name)s, %(kind)s, '450700') ON CONFLICT DO NOTHING",
            sample.enterprises,
        )
        cur.execute("SELECT credit_code, enterprise_id FROM enterprises")
        enterprise_ids: dict[str, int] = dict(cur.fetchall())
        cur.executemany(
            "INSERT INTO projects (project_id, name, permit_number, region_code, address,"
            " latitude, longitude, geofence_m, start_date, planned_completion, briefing_date,"
            " status) VALUES (%(project_id)s, %(name)s, %(permit_number)s, %(region_code)s,"
            " %(address)s, %(latitude)s, %(longitude)s, %(geofence_m)s, %(start_date)s,"
            " %(planned_completion)s, %(briefing_date)s, %(status)s) ON CONFLICT DO NOTHING",
            sample.projects,
        )
        cur.executemany(
            "INSERT INTO project_enterprises VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            [
                row
                for p in sample.projects
                for row in (
                    (p["project_id"], enterprise_ids[p["contractor"]], "general_contractor"),
                    (p["project_id"], enterprise_ids[p["labour"]], "labour_company"),
                )
            ],
        )
        cur.executemany(
            "INSERT INTO teams (project_id, enterprise_id, name, kind, trade)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            [
                (t["project_id"], enterprise_ids[t["enterprise"]], t["name"], t["kind"], t["trade"])
                for t in sample.teams
            ],
        )
        cur.execute("SELECT project_id, name, team_id FROM teams")
        team_ids = {(project, name): team for project, name, team in cur.fetchall()}
        cur.executemany(
            "INSERT INTO workers (id_number, name, gender, birth_date, ethnicity, phone, trade)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id_number) DO NOTHING",
            [
                (
                    w["id_number"],
                    w["name"],
                    "male" if int(w["id_number"][16]) % 2 else "female",
                    date(
                        int(w["id_number"][6:10]),
                        int(w["id_number"][10:12]),
                        int(w["id_number"][12:14]),
                    ),
                    w["ethnicity"],
                    w["phone"],
                    w["trade"],
                )
                for w in sample.workers
            ],
        )
        cur.execute(
            "SELECT id_number, worker_id FROM workers WHERE id_number = ANY(%s)",
            ([w["id_number"] for w in sample.workers],),
        )
        worker_ids: dict[str, int] = dict(cur.fetchall())
        memberships = [
            (
                worker_ids[w["id_number"]],
                w["project_id"],
                team_ids[(w["project_id"], w["team"])],
                w["entry_date"],
            )
            for w in sample.workers
        ]
        cur.execute(
            "INSERT INTO memberships (worker_id, project_id, team_id, entry_date)"
            " SELECT w, p, t, d FROM unnest(%s::bigint[], %s::text[], %s::bigint[], %s::date[])"
            " AS new(w, p, t, d) WHERE NOT EXISTS (SELECT 1 FROM memberships m"
            " WHERE m.worker_id = new.w AND m.project_id = new.p)"
            " RETURNING worker_id, project_id, team_id, entry_date",
            [list(column) for column in zip(*memberships, strict=True)],
        )
        added = cur.fetchall()
        cur.executemany(
            "INSERT INTO registry_outbox (key, payload) VALUES (%s, %s)",
            [
                (
                    f"membership:{w}@{p}",
                    json.dumps(
                        {
                            "entity": "membership",
                            "entity_id": f"{w}@{p}",
                            "state": {
                                "worker_id": w,
                                "project_id": p,
                                "team_id": t,
                                "entry_date": d.isoformat(),
                                "exit_date": None,
                                "status": "active",
                            },
                        }
                    ),
                )
                for w, p, t, d in added
            ],
        )
        # Each worker's registry state too: the streams worker learns their trade from it.
        cur.execute(
            f"SELECT {WORKER_COLUMNS} FROM workers WHERE id_number = ANY(%s)",
            ([w["id_number"] for w in sample.workers],),
        )
        cur.executemany(
            "INSERT INTO registry_outbox (key, payload) VALUES (%s, %s)",
            [
                (
                    f"worker:{row[0]}",
                    json.dumps(
                        {"entity": "worker", "entity_id": str(row[0]), "state": worker_state(row)},
                        ensure_ascii=False,
                    ),
                )
                for row in cur.fetchall()
            ],
        )
        demo_hash = hash_password(DEMO_PASSWORD)
        cur.executemany(
            "INSERT INTO users (login, password_hash, role, scope_kind, scope_id,"
            " must_change_password) VALUES (%s, %s, %s, %s, %s, false)"
            " ON CONFLICT (login) DO NOTHING",
            [
                (
                    u["login"],
                    demo_hash,
                    u["role"].value,
                    SCOPE_OF_ROLE[u["role"]].value,
                    u["scope_id"],
                )
                for u in sample.users
            ],
        )
    return {
        "projects": len(sample.projects),
        "teams": len(sample.teams),
        "workers": len(sample.workers),
        "memberships_added": len(added),
        "users": len(sample.users),
    }


def _card(rng: random.Random, bin6: str) -> str:
    body = bin6 + "".join(rng.choice("0123456789") for _ in range(12))
    total = 0
    for position, char in enumerate(reversed(body)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return body + str((10 - total % 10) % 10)


#: How last month's payroll stands in the sample, project by project.
PAYROLL_STORIES = ("reconciled", "partly_failed", "table")
PAYROLL_PASSWORD = "Anquan2026"
_CARD_BINS = (("ICBC", "622202"), ("CCB", "621700"), ("ABC", "622848"))


def _fact(cur: psycopg.Cursor[Any], fact: str, data: dict[str, Any]) -> None:
    """A payroll fact in the outbox, as the payroll stores write them."""
    cur.execute(
        "INSERT INTO registry_outbox (topic, key, payload) VALUES ('payroll', %s, %s)",
        (f"sheet:{data['sheet_id']}", json.dumps({"fact": fact, "data": data}, ensure_ascii=False)),
    )


def sample_pay_month(today: date) -> date:
    """The month whose payroll the sample holds: the one due now by the default pay day."""
    return due_month(today, RuleProfile().pay_day)


def sample_attendance(
    dsn: str, sample: SampleRegion, *, today: date, per_project: int = 30, extra: int = 6
) -> list[AttendanceRecord]:
    """Attendance days of the sample's pay month for the workers its payroll pays, and at
    the second project a few more who are not on the payroll (so that month's wage
    warnings have something to find): rows for ClickHouse's attendance_days."""
    month = sample_pay_month(today)
    last_day = month_end(month)
    rng = random.Random(7)
    records = []
    with psycopg.connect(dsn) as conn:
        for index, project in enumerate(sample.projects):
            wanted = per_project + (extra if index % len(PAYROLL_STORIES) == 1 else 0)
            rows = conn.execute(
                "SELECT w.worker_id::text FROM workers w JOIN memberships m"
                " ON m.worker_id = w.worker_id AND m.project_id = %s AND m.entry_date <= %s"
                " ORDER BY w.worker_id LIMIT %s",
                (project["project_id"], last_day, wanted),
            ).fetchall()
            for (worker,) in rows:
                for offset in sorted(rng.sample(range(last_day.day), 18)):
                    day = month + timedelta(days=offset)
                    figures = AttendanceDay(day, None, None, 9 * 3600, 1, 2, 0, frozenset(), False)
                    records.append(
                        AttendanceRecord(project["project_id"], worker, "", "", figures, 1)
                    )
    return records


def load_payroll_sample(
    dsn: str, sealer: DataSealer, sample: SampleRegion, *, today: date, per_project: int = 30
) -> dict[str, int]:
    """Wage accounts, bound cards and the payroll of the month now due (last month once its
    pay day has passed): the first project paid, the second with failed lines, the third
    not yet paid. Projects that have a wage account already are left alone."""
    rng = random.Random(len(sample.workers))
    month = sample_pay_month(today)
    last_day = month_end(month)
    counts = {"wage_accounts": 0, "cards": 0, "sheets": 0, "lines": 0}
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO payroll_passwords (user_id, password_hash)"
            " SELECT user_id, %s FROM users WHERE login = %s ON CONFLICT DO NOTHING",
            [
                (hash_password(PAYROLL_PASSWORD), u["login"])
                for u in sample.users
                if u["role"] is Role.LABOUR_OFFICER
            ],
        )
        for index, project in enumerate(sample.projects):
            project_id = project["project_id"]
            cur.execute("SELECT 1 FROM wage_accounts WHERE project_id = %s", (project_id,))
            if cur.fetchone() is not None:
                continue
            cur.execute(
                "SELECT enterprise_id FROM enterprises WHERE credit_code = ANY(%s) ORDER BY kind",
                ([project["contractor"], project["labour"]],),
            )
            contractor, labour = (row[0] for row in cur.fetchall())
            cur.execute(
                "INSERT INTO wage_accounts (project_id, enterprise_id, bank_code, account_number,"
                " account_name, opened_on, verification, verified_by) VALUES (%s, %s, 'ICBC', %s,"
                " %s, %s, 'manual', 'seed') RETURNING account_id",
                (
                    project_id,
                    contractor,
                    f"21022010190{index + 1:08d}",
                    f"{project['name']}农民工工资专用账户",
                    project["start_date"],
                ),
            )
            account_id = cur.fetchone()[0]  # type: ignore[index]
            counts["wage_accounts"] += 1
            cur.execute(
                "SELECT w.worker_id, w.name FROM workers w JOIN memberships m"
                " ON m.worker_id = w.worker_id AND m.project_id = %s AND m.entry_date <= %s"
                " ORDER BY w.worker_id LIMIT %s",
                (project_id, last_day, per_project),
            )
            workers = cur.fetchall()
            story = PAYROLL_STORIES[index % len(PAYROLL_STORIES)]
            cur.execute(
                "INSERT INTO payroll_sheets (project_id, enterprise_id, month, kind, account_id,"
                " state, revision, created_by, signed_by, sent_at, settled_at, bank_profile)"
                " VALUES (%s, %s, %s, 'regular', %s, %s, 1, 'seed', %s, %s, %s, %s)"
                " ON CONFLICT DO NOTHING RETURNING sheet_id, created_at",
                (
                    project_id,
                    labour,
                    month,
                    account_id,
                    story,
                    None if story == "table" else "scan",
                    None if story == "table" else today - timedelta(days=today.day - 1),
                    None if story == "table" else today - timedelta(days=max(today.day - 3, 0)),
                    None if story == "table" else "generic-csv/1",
                ),
            )
            created = cur.fetchone()
            sheet_id = created[0] if created else None
            sheet_facts = {
                "sheet_id": sheet_id,
                "project_id": project_id,
                "enterprise_id": labour,
                "month": f"{month:%Y-%m}",
            }
            counts["sheets"] += 1 if created else 0
            for number, (worker_id, name) in enumerate(workers):
                bank, bin6 = _CARD_BINS[number % len(_CARD_BINS)]
                digits = _card(rng, bin6)
                cur.execute(
                    "INSERT INTO bank_cards (worker_id, bank_code, card_sealed, card_digest, last4,"
                    " holder_name, via, bound_at) VALUES (%s, %s, %s, %s, %s, %s, 'bind', %s)"
                    " ON CONFLICT DO NOTHING RETURNING card_id",
                    (worker_id, bank, sealer.seal(digits), sealer.digest(digits), digits[-4:],
                     name, month - timedelta(days=20)),
                )  # fmt: skip
                card = cur.fetchone()
                if card is None or sheet_id is None:
                    continue
                counts["cards"] += 1
                days = rng.randrange(16, 27)
                amount = days * rng.randrange(250, 381)
                failed = story == "partly_failed" and number % 10 == 3
                status = "pending" if story == "table" else ("failed" if failed else "paid")
                cur.execute(
                    "INSERT INTO payroll_lines (sheet_id, revision, worker_id, card_id,"
                    " days_worked, hours_worked, amount, status, paid_on, bank_ref,"
                    " failure_reason, settled_at)"
                    " VALUES (%s, 1, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING line_id",
                    (
                        sheet_id, worker_id, card[0], days, days * 9, amount, status,
                        today - timedelta(days=max(today.day - 3, 0)) if status == "paid" else None,
                        f"ICBC{sheet_id:06d}{number:04d}" if status == "paid" else None,
                        "账户已销户" if failed else None,
                        None if status == "pending" else today,
                    ),
                )  # fmt: skip
                line_id = cur.fetchone()[0]  # type: ignore[index]
                counts["lines"] += 1
                paid_on = today - timedelta(days=max(today.day - 3, 0))
                state = {
                    **sheet_facts,
                    "kind": "regular",
                    "line_id": line_id,
                    "worker_id": worker_id,
                    "revision": 1,
                    "current": True,
                    "days_worked": days,
                    "amount": f"{amount}.00",
                    "status": status,
                    "paid_on": paid_on.isoformat() if status == "paid" else None,
                    "reason": "账户已销户" if failed else None,
                }
                fact = {"pending": "line", "paid": "payment", "failed": "failure"}[status]
                _fact(cur, fact, state)
            if sheet_id is not None:
                _fact(
                    cur,
                    "sheet",
                    {**sheet_facts, "kind": "regular", "state": story, "previous": None},
                )
    return counts

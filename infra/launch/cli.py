"""The ``sitepulse`` command: up, down, status, migrate, simulate, run."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from infra.errors import SettingsError, SitePulseError
from infra.settings import Settings, load_settings, replicas_of

if TYPE_CHECKING:
    from infra.launch.stack import ProcessStatus


def _cmd_up(settings: Settings, args: argparse.Namespace) -> int:
    from infra.launch.stack import status, supervise, up

    if args.scale:
        try:
            replicas_of(args.scale)
        except ValueError as exc:
            raise SettingsError(f"--scale {exc}") from None
        settings = settings.model_copy(update={"scale": args.scale})
    if args.foreground:
        supervise(settings, with_services=not args.servers_only)
        return 0
    print(f"starting the SitePulse stack (data in {settings.resolved_data_dir}) …", flush=True)
    up(settings, with_services=not args.servers_only)
    _print_status(status(settings))
    if not args.servers_only:
        print(
            f"\n实时看板 dashboard: http://{settings.bind_host}:{settings.realtime_port}/"
            "  (regulator-gx / officer-p001, password SitePulse2026)"
        )
    return 0


def _cmd_down(settings: Settings, args: argparse.Namespace) -> int:
    from infra.launch.stack import down

    print("stopped the stack" if down(settings) else "nothing was running")
    return 0


def _print_status(rows: Sequence[ProcessStatus]) -> None:
    print(f"{'process':<11}{'kind':<9}{'pid':>8}  {'port':>6}  {'health':<8}{'restarts':>8}  url")
    for row in rows:
        r = vars(row)
        health = "ok" if row.healthy else ("down" if row.pid is None else "failing")
        pid = row.pid if row.pid is not None else "-"
        print(
            f"{r['name']:<11}{r['kind']:<9}{pid:>8}  {r['port']:>6}  {health:<8}"
            f"{r['restarts']:>8}  {r['url']}"
        )


def _cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    from infra.launch.stack import status

    rows = status(settings)
    _print_status(rows)
    return 0 if all(row.healthy for row in rows) else 1


def _cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    from analytics.migrate import migrate_clickhouse
    from api.stores.migrate import migrate_postgres
    from infra.launch.servers import ensure_topics_with_retry

    for store, applied in (
        ("postgres", migrate_postgres(settings.postgres_dsn)),
        ("clickhouse", migrate_clickhouse(settings.clickhouse_url)),
    ):
        names = ", ".join(f"{m.version:04d}_{m.name}" for m in applied) or "up to date"
        print(f"{store}: {names}")
    created = ensure_topics_with_retry(settings)
    print(f"kafka: {', '.join(created) or 'topics present'}")
    return 0


async def _set_demo_thresholds(dsn: str) -> None:
    from psycopg import AsyncConnection

    from alerts.store import save_overrides
    from api.seed import DEMO_REGION_PREFIX, DEMO_THRESHOLDS

    async with await AsyncConnection.connect(dsn, autocommit=True) as conn:
        await save_overrides(conn, DEMO_REGION_PREFIX, DEMO_THRESHOLDS, actor="seed")


def _cmd_seed(settings: Settings, args: argparse.Namespace) -> int:
    from datetime import datetime

    from analytics.attendance_sink import ATTENDANCE_COLUMNS
    from analytics.clickhouse import connect as connect_clickhouse
    from analytics.executor import DriverExecutor
    from api.payroll.sealing import DataSealer, new_bank_keypair
    from api.seed import (
        DEMO_PASSWORD,
        DEMO_REGION_PREFIX,
        DEMO_THRESHOLDS,
        PAYROLL_PASSWORD,
        build_sample,
        load_payroll_sample,
        load_sample,
        sample_attendance,
    )
    from infra.launch.stack import ensure_secrets
    from streams.local_time import BEIJING

    ensure_secrets(settings)
    settings = load_settings()
    assert settings.data_key is not None
    sample = build_sample(projects=args.projects, workers=args.workers)
    counts = load_sample(settings.postgres_dsn, sample)
    today = datetime.now(BEIJING).date()
    sealer = DataSealer(settings.data_key)
    counts |= load_payroll_sample(settings.postgres_dsn, sealer, sample, today=today)
    days = sample_attendance(settings.postgres_dsn, sample, today=today)
    DriverExecutor(connect_clickhouse(settings.clickhouse_url)).insert(
        "attendance_days", ATTENDANCE_COLUMNS, [record.row() for record in days]
    )
    counts["attendance_days"] = len(days)
    public_key = settings.bank_keys / "ICBC.pem"
    if not public_key.exists():  # the demo's stand-in bank keeps its private key beside it
        private, public = new_bank_keypair()
        (settings.bank_keys / "private").mkdir(parents=True, exist_ok=True, mode=0o700)
        (settings.bank_keys / "private" / "ICBC.pem").write_bytes(private)
        public_key.write_bytes(public)
    if not args.published_thresholds:
        asyncio.run(_set_demo_thresholds(settings.postgres_dsn))
        print(f"demo thresholds for region {DEMO_REGION_PREFIX}: {DEMO_THRESHOLDS}")
    print("seeded: " + ", ".join(f"{name} {count}" for name, count in counts.items()))
    print(
        f"accounts: regulator-gx, officer-p001 … (password {DEMO_PASSWORD}; payroll security"
        f" password {PAYROLL_PASSWORD}); workers log in with their ID number and its last six"
        " characters"
    )
    return 0


def _cmd_simulate(settings: Settings, args: argparse.Namespace) -> int:
    from infra.launch.simulator import GateSimulator, Incidents, SimulationPlan

    plan = SimulationPlan(
        projects=args.projects,
        gates=args.gates,
        workers=args.workers,
        rate=args.rate,
        duration_s=args.duration,
        count=args.count,
        speed=args.speed,
        flat=args.flat,
        incidents=Incidents() if args.incidents else None,
        protocol=args.protocol,
    )
    simulator = GateSimulator(settings, plan)
    gates = simulator.provision()
    who = (
        f"{simulator.registered} registered workers"
        if simulator.registered
        else f"{plan.workers} simulated workers each"
    )
    print(
        f"provisioned {gates} gates in {plan.projects} projects of {who};"
        f" posting ~{plan.rate:g} passes/s on average to ingest,"
        f" one simulated day every {86400 / simulator.speed / 60:.1f} min (Ctrl-C stops)",
        flush=True,
    )
    try:
        progress = asyncio.run(simulator.run())
    except KeyboardInterrupt:
        print("\nstopped")
        return 130
    if progress.last_error:
        print(f"last error: {progress.last_error}", file=sys.stderr)
    return 0 if progress.rejected == 0 else 1


def _cmd_web_assets(settings: Settings, args: argparse.Namespace) -> int:
    from infra.launch.web_assets import fetch_web_assets

    folder = settings.web_assets_dir.resolve()
    written = fetch_web_assets(folder)
    print(f"web assets in {folder}: " + (", ".join(written) + " fetched" if written else "present"))
    return 0


def _cmd_models(settings: Settings, args: argparse.Namespace) -> int:
    from streams.faces.model_files import fetch, verify

    folder = settings.model_dir.expanduser().resolve()
    if args.action == "fetch":
        written = fetch(folder)
        print(f"models in {folder}: " + (", ".join(written) + " fetched" if written else "present"))
    for name, path in verify(folder).items():
        print(f"  ✓ {name} (sha256 verified) {path}")
    return 0


def _cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    from infra.launch.services import run_service

    run_service(args.service, settings)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sitepulse", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="start the local stack (servers and services) on loopback")
    up.add_argument("-f", "--foreground", action="store_true", help="supervise in the foreground")
    up.add_argument("--servers-only", action="store_true", help="start only the backing servers")
    up.add_argument(
        "--scale",
        default="",
        metavar="SERVICE=N,...",
        help="processes of each service, e.g. streams=2,ingest=2,api=2,realtime=2,celery=2"
        " (replica n on the service's port + n - 1; default SITEPULSE_SCALE, else one each)",
    )
    up.set_defaults(handler=_cmd_up)

    sub.add_parser("down", help="stop the local stack").set_defaults(handler=_cmd_down)
    sub.add_parser("status", help="show each process, its port and health").set_defaults(
        handler=_cmd_status
    )
    sub.add_parser(
        "migrate", help="apply PostgreSQL and ClickHouse migrations, create the Kafka topics"
    ).set_defaults(handler=_cmd_migrate)

    seed = sub.add_parser("seed", help="load a sample region: projects, teams, workers, accounts")
    seed.add_argument("--projects", type=int, default=3)
    seed.add_argument("--workers", type=int, default=2000, help="workers in all")
    seed.add_argument(
        "--published-thresholds",
        action="store_true",
        help="keep the published alert thresholds for the sample city (default: the demo's"
        " shorter ones, so incidents open and clear alerts within minutes)",
    )
    seed.set_defaults(handler=_cmd_seed)

    sim = sub.add_parser("simulate", help="run virtual gates that post signed passes")
    sim.add_argument("--projects", type=int, default=3)
    sim.add_argument("--gates", type=int, default=2, help="gates per project")
    sim.add_argument("--workers", type=int, default=2000, help="workers per project")
    sim.add_argument("--rate", type=float, default=50.0, help="passes/s averaged over a day")
    sim.add_argument("--duration", type=float, default=None, help="seconds to run")
    sim.add_argument("--count", type=int, default=None, help="passes to send, then stop")
    sim.add_argument(
        "--speed",
        type=float,
        default=None,
        help="simulated s per real s (default: ~3 passes per worker per simulated day)",
    )
    sim.add_argument("--flat", action="store_true", help="constant rate, no daily peaks")
    sim.add_argument(
        "--protocol",
        choices=["sitepulse", "zkteco", "hikvision", "httpv2", "dahua"],
        default="sitepulse",
        help="what the gates speak: SitePulse's signed JSON, or a vendor's protocol"
        " (ZKTeco PUSH, Hikvision ISAPI, HTTPv2) to ingest's adapter for it; dahua runs"
        " simulated terminals on loopback whose event streams ingest holds",
    )
    sim.add_argument(
        "--incidents",
        action="store_true",
        help="stage a burst of unknown faces (20 s in) and a gate silent for 8 minutes (from"
        " 40 s), so alerts open and clear within ten minutes with the seed's thresholds",
    )
    sim.set_defaults(handler=_cmd_simulate)

    web = sub.add_parser("web-assets", help="fetch the pages' front-end files (ECharts)")
    web.add_argument("action", choices=["fetch"])
    web.set_defaults(handler=_cmd_web_assets)

    models = sub.add_parser("models", help="fetch or verify the face models (YuNet, SFace)")
    models.add_argument("action", choices=["fetch", "verify"])
    models.set_defaults(handler=_cmd_models)

    run = sub.add_parser("run", help="run one service in the foreground")
    run.add_argument("service", choices=["ingest", "api", "realtime", "streams", "celery"])
    run.set_defaults(handler=_cmd_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        logging.getLogger("httpx").setLevel(logging.WARNING)
        logging.basicConfig(
            level=settings.log_level.upper(),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        return int(args.handler(settings, args))
    except SitePulseError as exc:
        print(f"sitepulse: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

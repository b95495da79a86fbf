"""The one typed settings object, read from ``SITEPULSE_*`` environment variables.

``load_settings()`` fails fast: a bad value raises :class:`~infra.errors.SettingsError`
naming the variable and the value, before any server or service starts.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from infra.errors import SettingsError

ENV_PREFIX = "SITEPULSE_"
SCALABLE = ("ingest", "api", "realtime", "streams", "celery")
#: What a streams worker can do: all of it in one process, or one role apart (its own group).
STREAMS_ROLES = ("passes", "attendance", "faces", "heartbeats", "payroll")


def replicas_of(scale: str) -> dict[str, int]:
    """``"streams=2,api=3"`` as {service: processes}; a ValueError says what is wrong."""
    replicas: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in scale.split(","))):
        name, sep, count = part.partition("=")
        if not sep or name.strip() not in SCALABLE or not count.strip().isdigit():
            raise ValueError(f"{part!r}: expected service=count, service one of {SCALABLE}")
        if not 1 <= int(count) <= 16:
            raise ValueError(f"{part!r}: from 1 to 16 processes")
        replicas[name.strip()] = int(count)
    return replicas


class Settings(BaseModel):
    """Everything configurable about SitePulse; each field maps to ``SITEPULSE_<NAME>``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    data_dir: Path = Path(".sitepulse")
    # Shared by every stack (tests included), so the 40 MB of models download once.
    model_dir: Path = Path(".sitepulse/models")
    # Front-end files from the npm registry (charts), fetched by scripts/install.
    web_assets_dir: Path = Path(".sitepulse/web")
    namespace: str = Field(default="sitepulse.", pattern=r"^[a-z0-9_.-]*$")
    log_level: str = Field(default="info", pattern=r"^(debug|info|warning|error)$")
    # How many processes of each service the local launcher runs, e.g. "streams=2,api=2"
    # (replica n listens on the service's port + n - 1); and which one this process is.
    scale: str = ""
    replica: int = Field(default=1, ge=1, le=64)
    # Whether this Celery worker also runs the beat (the schedule): exactly one should.
    celery_beat: bool = True
    # The queues this Celery worker serves: the scheduled evaluation and the notification
    # deliveries each have their own, and a worker runs tasks on a pool of threads, so a
    # delivery never waits behind an evaluation. A province may give each queue workers
    # of its own ("evaluate" on one, "notify" on others).
    celery_queues: str = Field(
        default="evaluate,notify", pattern=r"^(evaluate|notify)(,(evaluate|notify))?$"
    )
    celery_threads: int = Field(default=4, ge=1, le=64)

    # Servers. The local launcher starts them on the ports these addresses name.
    kafka_bootstrap: str = "127.0.0.1:19092"
    # tansu: the local broker's workarounds (one record a produce batch, short group
    # sessions, short fetch waits, no idempotent producer); kafka: a production broker
    # (Apache Kafka, Redpanda) with idempotent producers and normal batching.
    kafka_broker: str = Field(default="tansu", pattern=r"^(tansu|kafka)$")
    # Every topic's partitions: the most workers of a service that can share the load, and
    # the grain of the spread (projects hash to partitions). Read when topics are created;
    # see README "Deploying" for changing it on a running cluster.
    kafka_partitions: int = Field(default=12, ge=1, le=256)
    # Copies of each partition on the brokers when topics are created (3 in production).
    kafka_replication: int = Field(default=1, ge=1, le=7)
    # Tansu holds a fetch for the whole wait even when data arrives (see streams/transport.py).
    kafka_fetch_max_wait_ms: int = Field(default=20, ge=1, le=10_000)
    # How long records fetched and not yet taken by Faust hold back the fetching of the
    # other partitions on their broker (aiokafka's 100 ms polls idle topics under a
    # backlog; see streams/transport.py).
    kafka_prefetch_backoff_ms: int = Field(default=1000, ge=10, le=10_000)
    postgres_dsn: str = "postgresql://sitepulse@127.0.0.1:15432/sitepulse"
    clickhouse_url: str = "clickhouse://127.0.0.1:19000/sitepulse"
    clickhouse_http_port: int = Field(default=18123, ge=1, le=65535)
    redis_url: str = "redis://127.0.0.1:16379/0"

    # SitePulse services (HTTP ports on loopback unless bind_host says otherwise).
    bind_host: str = "127.0.0.1"
    ingest_port: int = Field(default=8100, ge=1, le=65535)
    api_port: int = Field(default=8000, ge=1, le=65535)
    realtime_port: int = Field(default=8200, ge=1, le=65535)
    streams_port: int = Field(default=8300, ge=1, le=65535)
    celery_metrics_port: int = Field(default=8400, ge=1, le=65535)

    # Device ingest.
    device_clock_skew_s: int = Field(default=300, ge=5, le=3600)
    # Events older than this are refused at the edge and dead-lettered on a topic.
    max_backlog_days: int = Field(default=92, ge=1, le=3650)
    ingest_max_batch: int = Field(default=500, ge=1, le=10_000)
    # A broker that has not acknowledged a batch by then: 503 with Retry-After (the gate
    # sends it again; event ids make the repeat harmless).
    ingest_publish_timeout_s: float = Field(default=5.0, gt=0, le=60)
    device_cache_ttl_s: float = Field(default=30.0, ge=0)
    # A device's requests a minute past which ingest answers 429 (a device may have its own).
    device_requests_per_minute: int = Field(default=1200, ge=1)
    # How often ingest re-reads the Dahua terminals it holds event streams of.
    dahua_refresh_s: float = Field(default=30.0, gt=0, le=3600)
    # 人员下发: how often ingest syncs the roster to terminals it can call (Hikvision, Dahua),
    # and how long an unanswered or refused roster command waits before it is sent again.
    roster_push_s: float = Field(default=15.0, gt=0, le=3600)
    roster_resend_s: float = Field(default=120.0, gt=0, le=86400)

    # Capture-gate frames and faces.
    frame_max_bytes: int = Field(default=256 * 1024, ge=1024, le=700 * 1024)
    enrolment_photo_max_bytes: int = Field(default=2 * 1024 * 1024, ge=1024, le=16 * 1024 * 1024)
    face_threshold: float = Field(default=0.363, gt=0, lt=1)  # SFace's cosine threshold
    face_margin: float = Field(default=0.05, ge=0, lt=1)  # best minus the next worker
    face_batch: int = Field(default=8, ge=1, le=256)
    # Frames read in parallel by one streams worker (onnxruntime runs outside the GIL).
    face_threads: int = Field(default=2, ge=1, le=64)
    # Where the face models run: auto (CUDA if this onnxruntime and machine have it, else
    # the CPU), cuda (with the CPU as fallback, logged), or cpu. The chosen one is logged
    # and on the streams /healthz. On a GPU raise SITEPULSE_FACE_BATCH (e.g. 64).
    face_provider: str = Field(default="auto", pattern=r"^(auto|cuda|cpu)$")
    # Re-verify the snapshot of a match made on the device against the claimed worker.
    face_reverify: bool = True
    snapshot_retention_days: int = Field(default=90, ge=1, le=3650)

    # Attendance (Beijing days).
    attendance_repeat_window_s: float = Field(default=60.0, ge=0, le=3600)
    attendance_max_shift_h: float = Field(default=16.0, gt=0, le=48)
    attendance_keep_days: int = Field(default=3, ge=1, le=62)  # passes held in memory
    # ClickHouse retention, by monthly partitions.
    pass_retention_months: int = Field(default=24, ge=1, le=600)
    attendance_retention_months: int = Field(default=60, ge=1, le=600)

    # Streams.
    sink_batch_rows: int = Field(default=1000, ge=1, le=100_000)
    sink_flush_s: float = Field(default=1.0, gt=0, le=60)
    live_flush_s: float = Field(default=0.02, gt=0, le=5)
    live_dedupe_ttl_s: int = Field(default=7 * 86400, ge=60)
    # What this streams worker does: passes (live feed, gate_passes, gates' last passes,
    # streaming alerts), attendance (days and presence), faces (the frame matcher),
    # heartbeats (device states), payroll (wage analytics). One process does them all on a
    # small site; a province runs each role in processes of its own (README "Deploying"),
    # each its own consumer group.
    streams_roles: str = ",".join(STREAMS_ROLES)

    # People's API. The local stack generates a token secret when none is given.
    token_secret: str | None = Field(default=None, min_length=32)
    token_ttl_s: int = Field(default=8 * 3600, ge=60, le=30 * 86400)
    # Logins: an account is locked after this many failures in the window, for lockout_s
    # (or until unlocked); one client address may fail this often in the window.
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_lockout_s: int = Field(default=900, ge=1, le=86400)
    login_address_max_failures: int = Field(default=30, ge=1, le=10_000)
    login_window_s: int = Field(default=900, ge=1, le=86400)
    # A payroll security password proven by argon2 is trusted again for this long (0: never),
    # so the steps of one payroll session do not each pay a full check.
    payroll_proof_ttl_s: int = Field(default=300, ge=0, le=3600)
    # Card numbers are sealed with a key derived from this (the local stack generates one).
    data_key: str | None = Field(default=None, min_length=32)
    # Web Push to the worker app: the VAPID key (a P-256 private key, 32 bytes base64url;
    # the local stack generates one), the contact push services see, and whether push
    # endpoints on this machine are allowed (a local push service; never in production,
    # where only public https endpoints are, so the platform cannot be made to call inward).
    vapid_private_key: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{43}=?$")
    vapid_subject: str = Field(
        default="mailto:ops@sitepulse.invalid", pattern=r"^(mailto:|https://)\S+$"
    )
    push_allow_loopback: bool = False
    # Payroll: each bank's public key for its bank files, as <bank_code>.pem in this folder
    # (default: <data_dir>/bank-keys); and the bank's account-verification API, if any
    # (without one, a wage account is verified by hand and the officer is recorded).
    bank_key_dir: Path | None = None
    bank_api_url: str | None = None
    # Payroll: uploaded signed sheets (PDF or JPEG) and bank returns may be this large.
    payroll_max_file_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=256 * 1024 * 1024)
    # A disabled account's or changed password's tokens end within this many seconds.
    token_check_ttl_s: float = Field(default=2.0, ge=0, le=60)
    # An initial password (registration's, or one issued by an officer) lasts this long.
    initial_password_days: int = Field(default=30, ge=1, le=365)
    # Request bodies past this are refused with 413 (face enrolment takes up to five photos).
    api_max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    # Origins whose pages may call the API (comma separated); default: the realtime pages.
    cors_origins: str | None = None
    # Where browsers reach the API when it is not this host's API port (behind an ingress:
    # https://sitepulse.example.gov.cn); the pages read it from /config.js.
    public_api_url: str | None = Field(default=None, pattern=r"^https?://[^\s/]+(/[^\s]*)?$")

    # Alerts: scheduled evaluation and delivery.
    alert_evaluate_s: float = Field(default=60.0, ge=1, le=3600)
    alert_webhook_url: str | None = None
    alert_webhook_secret: str | None = Field(default=None, min_length=16)
    smtp_host: str | None = None  # email is off without it
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "sitepulse@localhost"
    sms_gateway_url: str | None = None  # a generic HTTP SMS API: POST {"to", "text"}
    sms_api_key: str | None = None

    # Realtime.
    # A dashboard with more unsent bytes than this is a slow consumer and is dropped.
    realtime_client_buffer_bytes: int = Field(default=1024 * 1024, ge=1024)
    realtime_coalesce_s: float = Field(default=0.25, gt=0, le=10)  # at most 4 counter updates/s
    realtime_heartbeat_s: float = Field(default=15.0, gt=0, le=300)

    @field_validator("kafka_bootstrap")
    @classmethod
    def _host_port(cls, value: str) -> str:
        for part in value.split(","):
            host, sep, port = part.strip().rpartition(":")
            if not sep or not host or not port.isdigit():
                raise ValueError("must be host:port[,host:port...]")
        return value

    @field_validator("postgres_dsn", "clickhouse_url", "redis_url")
    @classmethod
    def _url_with_port(cls, value: str) -> str:
        parts = urlsplit(value)
        if not parts.scheme or not parts.hostname:
            raise ValueError("must be a URL such as scheme://host:port/database")
        try:
            parts.port  # noqa: B018  (raises on a non-numeric port)
        except ValueError as exc:
            raise ValueError(f"has a bad port: {exc}") from None
        return value

    @field_validator("scale")
    @classmethod
    def _scale(cls, value: str) -> str:
        replicas_of(value)
        return value

    @field_validator("streams_roles")
    @classmethod
    def _streams_roles(cls, value: str) -> str:
        roles = {part.strip() for part in value.split(",")}
        if not (roles == set(STREAMS_ROLES) or (len(roles) == 1 and roles <= set(STREAMS_ROLES))):
            raise ValueError(f"expected one of {', '.join(STREAMS_ROLES)}, or all of them")
        return ",".join(role for role in STREAMS_ROLES if role in roles)

    @property
    def roles(self) -> frozenset[str]:
        """The streams worker's roles (``streams_roles``) as a set."""
        return frozenset(self.streams_roles.split(","))

    @property
    def streams_group(self) -> str:
        """The consumer group (Faust app id) of a streams worker with these roles."""
        return self.streams_group_of(self.streams_roles)

    def streams_group_of(self, roles: str) -> str:
        """``<ns>streams`` for a worker with every role, ``<ns>streams-<role>`` for one with
        a single role: a role apart is a consumer group of its own."""
        if "," in roles:
            return f"{self.namespace}streams"
        return f"{self.namespace}streams-{roles}"

    def topic(self, name: str) -> str:
        """The namespaced Kafka topic name, e.g. ``sitepulse.gate.passes``."""
        return f"{self.namespace}{name}"

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser().resolve()

    @property
    def allowed_origins(self) -> list[str]:
        if self.cors_origins is not None:
            return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]
        port = self.realtime_port
        hosts = {self.bind_host, "127.0.0.1", "localhost"}
        return sorted(f"http://{host}:{port}" for host in hosts)

    @property
    def snapshot_dir(self) -> Path:
        return self.resolved_data_dir / "snapshots"

    @property
    def payroll_dir(self) -> Path:
        """Signed payroll sheets and bank returns, kept by their sha256."""
        return self.resolved_data_dir / "payroll"

    @property
    def bank_keys(self) -> Path:
        return (self.bank_key_dir or self.resolved_data_dir / "bank-keys").expanduser().resolve()


def _describe(error: dict[str, object], raw_env: dict[str, str]) -> str:
    location = error.get("loc") or ("?",)
    field = str(location[0]) if isinstance(location, tuple) else str(location)
    variable = f"{ENV_PREFIX}{field.upper()}"
    value = raw_env.get(variable, "<unset>")
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{variable}={value!r}: {message}"


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read settings from the environment (or ``environ``), failing fast with a precise message."""
    import os

    env = dict(os.environ if environ is None else environ)
    relevant = {key: value for key, value in env.items() if key.startswith(ENV_PREFIX)}
    known = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields}
    unknown = sorted(set(relevant) - known)
    if unknown:
        raise SettingsError(f"unknown setting {unknown[0]} (known: {', '.join(sorted(known))})")
    values = {key[len(ENV_PREFIX) :].lower(): value for key, value in relevant.items()}
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        details = [_describe(dict(err), relevant) for err in exc.errors()]
        raise SettingsError("bad settings: " + "; ".join(details)) from None

"""Settings: one class, read from the environment with the ROSTRA_ prefix."""

from __future__ import annotations

import math
import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import phonenumbers
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SECRET = "dev-only-change-me"
DEFAULT_AUDIT_KEY = "dev-only-audit-key-change-me"


def usable_cores() -> int:
    """The cores this process may use: its CPU affinity, cut to a container's CPU quota."""
    affinity = getattr(os, "sched_getaffinity", None)
    cores = len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)
    quota = _cgroup_cpu_quota()
    if quota is not None:
        cores = min(cores, math.ceil(quota))
    return max(1, cores)


def _cgroup_cpu_quota() -> float | None:
    """Cores' worth of CPU time the cgroup allows (`cpu.max`, or v1's cfs quota); None: no limit."""
    try:
        limit, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        return None if limit == "max" else int(limit) / int(period)
    except (OSError, ValueError):
        pass
    try:
        v1 = Path("/sys/fs/cgroup/cpu")
        limit_us = int((v1 / "cpu.cfs_quota_us").read_text())
        period_us = int((v1 / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return limit_us / period_us if limit_us > 0 and period_us > 0 else None


def _hash_threads() -> int:
    """One core less than the process may use, so one stays for requests (at least one)."""
    return max(1, usable_cores() - 1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROSTRA_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = f"sqlite+aiosqlite:///{ROOT / 'var' / 'rostra.db'}"
    # On PostgreSQL the service connects as a plain role that row-level security applies to;
    # migrations run as the schema owner through this URL (defaults to database_url).
    migrate_database_url: str | None = None
    secret_key: str = DEFAULT_SECRET
    var_dir: Path = ROOT / "var"
    tenants_dir: Path = ROOT / "tenants"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1

    access_token_minutes: int = 15
    refresh_token_days: int = 30
    jwt_private_key_pem: str | None = None  # production: a P-256 EC private key (PEM), ES256

    otp_ttl_seconds: int = 300
    otp_max_attempts: int = 5
    otp_resend_seconds: int = 60
    otp_daily_limit: int = 10

    # argon2id: RFC 9106's second choice (3 passes over 64 MiB) in one lane, so a hash takes
    # one core, not all (docs/decisions/2026-12-06-password-hashing-cpu.md); changing any of
    # them rehashes at login.
    password_time_cost: int = 3
    password_memory_kib: int = 64 * 1024
    password_parallelism: int = Field(default=1, ge=1)
    # Hashes at once per process, each on a thread of this nice (Linux: lower priority), so
    # requests on the event loop win the CPU; beyond password_hash_queue more waiting, 429.
    password_hash_threads: int = Field(default_factory=lambda: _hash_threads(), ge=1)
    password_hash_nice: int = Field(default=10, ge=0, le=19)
    password_hash_queue: int = Field(default=8, ge=0)
    password_min_length: int = 10
    password_max_length: int = 128
    password_fresh_session_seconds: int = 600  # setting a password without a fresh SMS code

    # Sign-in with a school's OpenID Connect provider (`[oidc]` in its tenant file).
    oidc_attempt_seconds: int = 600  # from the redirect to the provider until its callback
    oidc_link_seconds: int = 600  # to confirm a pending link with an SMS code
    oidc_timeout_seconds: float = 5.0  # each request to a provider
    public_base_url: str | None = None  # where callbacks reach Rostra (default: the request's)
    # A CSV of `network,city` lines: a session's coarse location, only with the person's
    # consent (`PUT /v1/me/sessions/location-consent`). None: no lookup, no location.
    session_location_table: Path | None = None

    sms_backend: Literal["console", "http"] = "console"
    sms_gateway_url: str | None = None
    sms_gateway_token: str | None = None
    sms_timeout_seconds: float = 5.0
    sms_retries: int = 2
    # Against SMS pumping (#11): login codes go only to numbers of these calling regions
    # (ISO 3166 codes; `create_app` fills in the regions of the schools' tenant files when
    # unset), and at most this many go out per client IP and in all per hour.
    sms_allowed_regions: Annotated[list[str] | None, NoDecode] = None
    sms_ip_hourly_limit: int = Field(default=100, ge=1)
    sms_global_hourly_limit: int = Field(default=5000, ge=1)

    default_region: str = "CN"
    log_json: bool | None = None

    object_store: Literal["local", "s3"] = "local"
    object_store_dir: Path = ROOT / "var" / "objects"
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    upload_max_bytes: int = Field(default=2 * 1024**3)
    # A roster zip: the roster files' total unpacked size, and how many entries it may hold.
    roster_max_unpacked_bytes: int = Field(default=512 * 2**20, ge=1)
    roster_max_entries: int = Field(default=100, ge=1)
    signed_link_seconds: int = 300

    # Request bodies are cut off at these sizes while they stream in (app/core/bodylimit.py).
    body_max_bytes: int = 1024**2  # every route not named below
    ingest_body_max_bytes: int = 64 * 1024**2  # POST /v1/ingest/events
    roster_import_max_bytes: int = 256 * 1024**2 + 64 * 1024  # the file and its form
    form_overhead_bytes: int = 64 * 1024  # multipart boundaries and small fields of an upload
    # A gzip ingestion body is refused (413) once it inflates past this.
    ingest_decompressed_max_bytes: int = Field(default=64 * 1024**2, ge=1)
    # Events a school may send per clock minute unless its tenant file's [limits] says otherwise.
    ingest_events_per_minute: int = Field(default=600_000, ge=1, le=10_000_000)

    # The service's connection pool (PostgreSQL) and how long one statement may run there
    # before PostgreSQL cancels it (the request then answers 503); 0 turns the timeout off.
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    db_pool_timeout_seconds: float = Field(default=10.0, gt=0)
    db_statement_timeout_ms: int = Field(default=30_000, ge=0)
    # A pooled connection idle this long is pinged before use (a busy one is not: see db.py).
    db_ping_idle_seconds: float = Field(default=10.0, ge=0)

    # Bearer token that /metrics asks for; in production /metrics is closed until it is set.
    metrics_token: str | None = None
    # Where the workers of `rostra serve` share their metrics (emptied at start); unset, a
    # temporary directory when --workers is more than 1 (PROMETHEUS_MULTIPROC_DIR works too).
    metrics_multiproc_dir: Path | None = None
    # How long `rostra serve --workers N` waits for a worker to answer its health ping before
    # replacing it; uvicorn's 5 s is shorter than an import of the app on a busy machine.
    worker_healthcheck_seconds: int = Field(default=60, ge=1)

    # Keys the audit chain and signs its checkpoints; never stored in the database.
    audit_key: str = DEFAULT_AUDIT_KEY
    # Where signed checkpoints of every school's chain head go (default: var_dir/audit-checkpoints).
    audit_checkpoint_dir: Path | None = None

    @field_validator("sms_allowed_regions", mode="before")
    @classmethod
    def _region_list(cls, value: Any) -> Any:
        """`ROSTRA_SMS_ALLOWED_REGIONS=CN,HK` (or a JSON list); codes upper-cased."""
        if isinstance(value, str):
            value = [part for part in value.replace("[", "").replace("]", "").split(",")]
            value = [part.strip().strip('"').strip("'") for part in value]
        if isinstance(value, list | tuple | set):
            regions = sorted({str(part).strip().upper() for part in value if str(part).strip()})
            unknown = [r for r in regions if r not in phonenumbers.SUPPORTED_REGIONS]
            if unknown:
                raise ValueError(f"unknown calling region(s) {', '.join(unknown)}")
            return regions
        return value

    @model_validator(mode="after")
    def _refuse_insecure_production(self) -> Settings:
        if self.env == "production":
            if (
                not self.secret_key
                or self.secret_key == DEFAULT_SECRET
                or len(self.secret_key) < 32
            ):
                raise ValueError(
                    "ROSTRA_SECRET_KEY must be set to a random value of at least 32 characters "
                    "when ROSTRA_ENV=production; refusing to start with the default secret"
                )
            if (
                self.audit_key == DEFAULT_AUDIT_KEY
                or len(self.audit_key) < 32
                or self.audit_key == self.secret_key
            ):
                raise ValueError(
                    "ROSTRA_AUDIT_KEY must be set to a random value of at least 32 characters, "
                    "different from ROSTRA_SECRET_KEY, when ROSTRA_ENV=production"
                )
            if not self.jwt_private_key_pem:
                raise ValueError(
                    "ROSTRA_JWT_PRIVATE_KEY_PEM must be set when ROSTRA_ENV=production"
                )
            _require_es256_key(self.jwt_private_key_pem)
            if self.sms_backend == "console":
                raise ValueError(
                    "ROSTRA_SMS_BACKEND=console keeps login codes in the database; "
                    "set ROSTRA_SMS_BACKEND=http (and ROSTRA_SMS_GATEWAY_URL) in production"
                )
        return self

    @property
    def owner_database_url(self) -> str:
        return self.migrate_database_url or self.database_url

    @property
    def checkpoint_dir(self) -> Path:
        return self.audit_checkpoint_dir or self.var_dir / "audit-checkpoints"

    @property
    def json_logs(self) -> bool:
        return self.log_json if self.log_json is not None else self.env == "production"


def _require_es256_key(pem: str) -> None:
    """Tokens are signed ES256: any other key would start, then fail on every token route."""
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError(
            "ROSTRA_JWT_PRIVATE_KEY_PEM must be an unencrypted P-256 (ES256) EC private key "
            "in PEM form, e.g. `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`"
        )


@lru_cache
def get_settings() -> Settings:
    return Settings()

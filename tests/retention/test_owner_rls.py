"""Where the schema owner is a plain role (production), FORCE'd row-level security binds it:
the sweep still reaches the login-state tables through its own policy (0010r), and only
what expired goes (RET-4). PostgreSQL only."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import create_engine, text

from app.core.config import ROOT
from tests.conftest import PG_ADMIN, PG_HOST, postgres_only

ROLE, DB = "rostra_sweep_owner", "rostra_test_sweep_owner"


def _admin(*statements: str) -> None:
    engine = create_engine(
        f"postgresql+psycopg://{PG_ADMIN}@{PG_HOST}/postgres", isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as conn:
        for sql in statements:
            conn.execute(text(sql))
    engine.dispose()


def _as_owner(sql: str, setting: str = "phone_hash", value: str = "h") -> int:
    engine = create_engine(f"postgresql+psycopg://{ROLE}@{PG_HOST}/{DB}")
    with engine.begin() as conn:
        conn.execute(text(f"SELECT set_config('app.{setting}', '{value}', true)"))
        result = conn.execute(text(sql))
        value = int(result.scalar_one()) if result.returns_rows else 0
    engine.dispose()
    return value


def _rostra(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


@postgres_only
def test_ret4_the_sweep_reaches_login_state_as_a_plain_owner(database, tmp_path):
    _admin(
        f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)',
        f"DROP ROLE IF EXISTS {ROLE}",
        f"CREATE ROLE {ROLE} LOGIN NOSUPERUSER NOBYPASSRLS",
        f'CREATE DATABASE "{DB}" OWNER {ROLE}',
    )
    env = {
        **os.environ,
        "ROSTRA_DATABASE_URL": f"postgresql+asyncpg://{ROLE}@{PG_HOST}/{DB}",
        "ROSTRA_VAR_DIR": str(tmp_path / "var"),
        "ROSTRA_OBJECT_STORE_DIR": str(tmp_path / "objects"),
    }
    try:
        assert _rostra(env, "db", "upgrade").returncode == 0
        _as_owner(
            "INSERT INTO otpcode (id, phone_hash, code_hmac, created_at, expires_at, attempts) "
            "VALUES (gen_random_uuid(), 'h', 'c', now() - interval '3 days', "
            "now() - interval '3 days', 0), (gen_random_uuid(), 'h', 'c', now(), now(), 0)"
        )
        done = _rostra(env, "retention", "sweep", "--category", "otp_code")
        assert done.returncode == 0, done.stderr
        assert "otp_code (1 days, delete): otpcode: deleted 1" in done.stdout
        assert _as_owner("SELECT count(*) FROM otpcode") == 1
        # A trip to a school's provider, behind its own one-state policy (0010i, 0011r).
        school = "INSERT INTO tenant (id, slug, name, region, options, retention, notice_version, "
        school += "created_at, updated_at) VALUES (gen_random_uuid(), 's', 'S', 'CN', '{}', "
        _as_owner(school + "'{}', '1', now(), now())")
        for state, expired in (("old", "3 days"), ("new", "-5 minutes")):
            _as_owner(
                "INSERT INTO oidc_attempt (id, school_id, state_hash, nonce_hash, created_at, "
                f"expires_at) SELECT gen_random_uuid(), id, '{state}', 'n', now(), "
                f"now() - interval '{expired}' FROM tenant",
                "oidc_lookup",
                state,
            )
        done = _rostra(env, "retention", "sweep", "--category", "oidc_attempt")
        assert done.returncode == 0, done.stderr
        assert "oidc_attempt (1 days, delete): oidc_attempt: deleted 1" in done.stdout
        assert _as_owner("SELECT count(*) FROM oidc_attempt", "oidc_lookup", "new") == 1
        assert _as_owner("SELECT count(*) FROM oidc_attempt", "oidc_lookup", "old") == 0
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)', f"DROP ROLE IF EXISTS {ROLE}")

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


def _as_owner(sql: str) -> int:
    engine = create_engine(f"postgresql+psycopg://{ROLE}@{PG_HOST}/{DB}")
    with engine.begin() as conn:
        conn.execute(text("SELECT set_config('app.phone_hash', 'h', true)"))
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
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)', f"DROP ROLE IF EXISTS {ROLE}")

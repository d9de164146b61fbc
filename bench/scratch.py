"""A benchmark's scratch PostgreSQL database: created by migrations, granted to the plain app
role (row-level security on), dropped afterwards. One place for what every bench repeated."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg

PG_HOST = os.environ.get("ROSTRA_TEST_PG_HOST", "127.0.0.1:5432")
PG_ADMIN = os.environ.get("ROSTRA_TEST_PG_ADMIN", "postgres")
APP_ROLE = "rostra_app"
SECRET = "bench-secret-key-that-is-long-enough-123456"


def admin() -> psycopg.Connection[Any]:
    """A superuser connection to the `postgres` database (creating and dropping databases)."""
    return psycopg.connect(f"postgresql://{PG_ADMIN}@{PG_HOST}/postgres", autocommit=True)


class Scratch:
    def __init__(self, name: str) -> None:
        self.name = name
        self.owner_url = f"postgresql+asyncpg://{PG_ADMIN}@{PG_HOST}/{name}"
        self.app_url = f"postgresql+asyncpg://{APP_ROLE}@{PG_HOST}/{name}"

    def owner(self) -> psycopg.Connection[Any]:
        """The schema owner's connection (bulk loads; row-level security does not bind it)."""
        return psycopg.connect(f"postgresql://{PG_ADMIN}@{PG_HOST}/{self.name}")

    def create(self) -> None:
        """A fresh database at the migrations' head, granted to the app role."""
        from app.core.migrate import grant_app_role, upgrade

        with admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.name}"')
            known = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_ROLE,))
            if known.fetchone() is None:
                conn.execute(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS")
        upgrade(self.owner_url)
        grant_app_role(self.owner_url, APP_ROLE)

    def drop(self) -> None:
        with admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def settings(self, **over: Any) -> Any:
        """The app's settings as the plain app role, for an in-process app over HTTP."""
        from app.core.config import Settings

        values: dict[str, Any] = {
            "env": "test",
            "database_url": self.app_url,
            "migrate_database_url": self.owner_url,
            "secret_key": SECRET,
            "log_json": False,
        }
        return Settings(**(values | over))


def copy_schools(cur: psycopg.Cursor[Any], tenant_ids: Sequence[object], now: datetime) -> None:
    """One bare school row per id (`bench-0`, `bench-1`, ...), by COPY as the owner."""
    with cur.copy(
        "COPY tenant (id, slug, name, region, options, retention, notice_version, "
        "created_at, updated_at) FROM STDIN"
    ) as copy:
        for i, tenant in enumerate(tenant_ids):
            copy.write_row((tenant, f"bench-{i}", f"School {i}", "CN", "{}", "{}", "1", now, now))

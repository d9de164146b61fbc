"""Running the migrations from code (CLI, tests) with the schema owner's URL."""

from __future__ import annotations

from alembic.config import Config
from sqlalchemy import create_engine, text

from alembic import command
from app.core.config import ROOT


def sync_url(url: str) -> str:
    return url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg")


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


def grant_app_role(url: str, role: str) -> None:
    """Let the plain application role use the tables (it owns none, so RLS applies to it)."""
    engine = create_engine(sync_url(url))
    with engine.begin() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
        if exists.scalar() is None:
            raise SystemExit(f"role {role!r} does not exist; create it first (LOGIN, no superuser)")
        quoted = conn.dialect.identifier_preparer.quote(role)
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {quoted}"))
        conn.execute(
            text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}")
        )
        conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}"))
        # Schools are declared in tenants/*.toml and applied by the owner: the service only reads.
        conn.execute(text(f"REVOKE INSERT, UPDATE, DELETE ON tenant FROM {quoted}"))
        # Tables that later migrations create (as this same owner) are granted as they appear,
        # so `rostra db grant` is run once, not after every `rostra db upgrade`.
        conn.execute(
            text(
                "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {quoted}"
            )
        )
        conn.execute(
            text(
                "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
                f"GRANT USAGE, SELECT ON SEQUENCES TO {quoted}"
            )
        )
    engine.dispose()

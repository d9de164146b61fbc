"""Alembic runs synchronously with the owner's URL (the schema owner, not the app role)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

import app.core.db  # noqa: F401  (naming convention)
from app.core.config import get_settings
from app.schema import metadata


def sync_url(url: str) -> str:
    return url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg")


def run() -> None:
    url = context.config.attributes.get("url") or get_settings().owner_database_url
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = create_engine(sync_url(url), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _migrate(conn)
        conn.commit()
    engine.dispose()


def _migrate(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()

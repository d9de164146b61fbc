"""Engine, sessions and the per-transaction tenant setting that row-level security reads."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import MetaData, bindparam, event, func, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.types import TypeEngine
from sqlmodel import SQLModel

from app.core.config import Settings

# Stable constraint names on both databases (migrations depend on them).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True)


AT_END = "rostra.at_end"


class Database:
    """The application's engine and session factory (one per app instance)."""

    def __init__(self, settings: Settings, url: str | None = None) -> None:
        self.settings = settings
        self.engine = make_engine(url or settings.database_url)
        self.is_postgres = self.engine.dialect.name == "postgresql"
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends cleanly, rolled back otherwise."""
        async with self.sessionmaker() as session:
            session.info[AT_END] = []  # what ends with the transaction (`app.core.locks`)
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
            finally:
                for release in reversed(session.info.pop(AT_END)):
                    release()

    async def dispose(self) -> None:
        await self.engine.dispose()


async def set_tenant(session: AsyncSession, tenant_id: uuid.UUID | None) -> None:
    """Row-level security reads this per-transaction setting (PostgreSQL; no-op on SQLite)."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.execute(
            text("SELECT set_config('app.tenant_id', :tenant, true)"),
            {"tenant": str(tenant_id) if tenant_id else ""},
        )


async def set_account(session: AsyncSession, account_id: uuid.UUID | None) -> None:
    """Lets a person's own membership rows be read across schools (`/v1/me`)."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.execute(
            text("SELECT set_config('app.account_id', :account, true)"),
            {"account": str(account_id) if account_id else ""},
        )


async def set_phone_lookup(session: AsyncSession, phone_hash: str | None) -> None:
    """The one number whose login codes and outbox rows this transaction may see (PostgreSQL)."""
    if is_postgres(session):
        await session.execute(
            text("SELECT set_config('app.phone_hash', :hash, true)"), {"hash": phone_hash or ""}
        )


async def set_refresh_lookup(session: AsyncSession, token_hash: str | None) -> None:
    """The one refresh token this transaction may look up by its hash (PostgreSQL)."""
    if is_postgres(session):
        await session.execute(
            text("SELECT set_config('app.refresh_token_hash', :hash, true)"),
            {"hash": token_hash or ""},
        )


def is_postgres(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


SQLITE_CHUNK = 5000  # stays under SQLite's bound-parameter limit


def value_chunks(session: AsyncSession, values: list[Any]) -> list[list[Any]]:
    """Slices of `values` small enough for one `where_in` statement on this database."""
    size = 100_000 if is_postgres(session) else SQLITE_CHUNK
    return [values[start : start + size] for start in range(0, len(values), size)]


def where_in(
    session: AsyncSession, query: Any, column: Any, values: list[Any], item: TypeEngine[Any]
) -> Any:
    """`query` limited to rows whose `column` is one of `values`.

    On PostgreSQL a join with `unnest(array)`: one parameter, so one statement serves any
    number of values and its plan cannot degrade into a scan per value (thousands of IN
    parameters do, once the prepared statement's plan goes generic after five runs).
    """
    if is_postgres(session):
        array = bindparam("values", values, type_=postgresql.ARRAY(item))
        wanted = func.unnest(array).table_valued("v").render_derived()
        return query.join(wanted, column == wanted.c.v)
    return query.where(column.in_(values))

"""Engine, sessions and the per-transaction tenant setting that row-level security reads."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import MetaData, bindparam, event, func, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DisconnectionError
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


def _sqlite_savepoint(conn: Connection, _name: str, *_: Any) -> None:
    """A savepoint that would open the transaction opens it with the write lock first.

    The driver begins a transaction only at the first write; a `SAVEPOINT` outside one
    begins a deferred one, whose first read fixes a snapshot. Once another connection
    commits (the audit sealer, the job worker, a request), the savepoint's first write
    cannot upgrade that snapshot and fails at once with "database is locked", which no
    busy timeout waits out. `BEGIN IMMEDIATE` makes the commit beside it wait instead.
    """
    driver = conn.connection.driver_connection
    if driver is not None and not driver.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


@dataclass(frozen=True, slots=True)
class PoolSettings:
    """The service's pool and statement timeout on PostgreSQL (SQLite ignores them)."""

    size: int = 10
    max_overflow: int = 10
    timeout_seconds: float = 10.0
    statement_timeout_ms: int = 0  # 0: no timeout
    ping_idle_seconds: float = 10.0

    @classmethod
    def of(cls, settings: Settings) -> PoolSettings:
        return cls(
            size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            timeout_seconds=settings.db_pool_timeout_seconds,
            statement_timeout_ms=settings.db_statement_timeout_ms,
            ping_idle_seconds=settings.db_ping_idle_seconds,
        )


_RETURNED_AT = "rostra.returned_at"


def _returned(_dbapi_connection: Any, record: Any) -> None:
    record.info[_RETURNED_AT] = time.monotonic()


def _pinger(idle_seconds: float) -> Callable[[Any, Any, Any], None]:
    """Check a connection that sat in the pool `idle_seconds` or more before handing it out
    (the server may have dropped it); a dead one is replaced before the request sees it, as
    the pool takes another on DisconnectionError.

    SQLAlchemy's `pool_pre_ping` pings on every checkout, and on asyncpg its ping is three
    round trips (BEGIN, `;`, ROLLBACK): more than the statements of a small read, on every
    request. A connection returned moments ago is alive.
    """

    def ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED_AT)
        if returned is None or time.monotonic() - returned < idle_seconds:
            return
        try:
            dbapi_connection.ping()
        except Exception as exc:  # any failure of the ping: the connection is not usable
            raise DisconnectionError("a pooled connection did not answer its ping") from exc

    return ping_if_idle


def make_engine(url: str, pool: PoolSettings | None = None) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "savepoint", _sqlite_savepoint)
        return engine
    pool = pool or PoolSettings()
    connect_args: dict[str, Any] = {}
    if pool.statement_timeout_ms and url.startswith("postgresql+asyncpg"):
        # Set at connect: PostgreSQL cancels a statement past it instead of letting it pile up.
        server = {"statement_timeout": str(pool.statement_timeout_ms)}
        connect_args["server_settings"] = server
    engine = create_async_engine(
        url,
        pool_size=pool.size,
        max_overflow=pool.max_overflow,
        pool_timeout=pool.timeout_seconds,
        connect_args=connect_args,
        hide_parameters=True,  # a failed statement's values (names, numbers) stay out of logs
    )
    event.listen(engine.sync_engine, "checkin", _returned)
    event.listen(engine.sync_engine, "checkout", _pinger(pool.ping_idle_seconds))
    return engine


AT_END = "rostra.at_end"
AFTER_COMMIT = "rostra.after_commit"


def after_commit(session: AsyncSession, work: Callable[[], Awaitable[object]]) -> None:
    """Run `work` once the transaction of `session` has committed, never if it rolls back
    (removing an object the committed rows no longer name). Outside `Database.session`, at
    once is not safe, so it is refused."""
    pending = session.info.get(AFTER_COMMIT)
    if pending is None:
        raise RuntimeError("after_commit needs a session of Database.session")
    pending.append(work)


class Database:
    """The application's engine and session factory (one per app instance)."""

    def __init__(self, settings: Settings, url: str | None = None) -> None:
        self.settings = settings
        self.url = url or settings.database_url
        self.engine = make_engine(self.url, PoolSettings.of(settings))
        self.is_postgres = self.engine.dialect.name == "postgresql"
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        self._side: AsyncEngine | None = None
        self._owner: Database | None = None

    def as_owner(self) -> Database:
        """The schema owner's database beside this one: one pool for the process, made on
        first use and disposed with this one (itself when this one connects as the owner)."""
        url = self.settings.owner_database_url
        if url == self.url:
            return self
        if self._owner is None:
            self._owner = Database(self.settings, url)
        return self._owner

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends cleanly, rolled back otherwise."""
        async with self.sessionmaker() as session:
            session.info[AT_END] = []  # what ends with the transaction (`app.core.locks`)
            session.info[AFTER_COMMIT] = []  # what waits for the commit (`after_commit`)
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
            finally:
                for release in reversed(session.info.pop(AT_END)):
                    release()
            for work in session.info.pop(AFTER_COMMIT):
                await work()

    @asynccontextmanager
    async def side_session(self) -> AsyncIterator[AsyncSession]:
        """A short transaction of its own beside a request's (a shared counter).

        Drawn from a small pool of its own: a request that holds a connection of the main
        pool never waits for a second one there, so a busy pool cannot deadlock on itself.
        """
        if self._side is None:
            pool = PoolSettings.of(self.settings)
            side = PoolSettings(
                2, 4, pool.timeout_seconds, pool.statement_timeout_ms, pool.ping_idle_seconds
            )
            self._side = make_engine(self.url, side)
        async with AsyncSession(self._side, expire_on_commit=False) as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    def connections_in_use(self) -> int:
        """Pooled connections checked out right now (0 where the pool cannot tell)."""
        checkedout = getattr(self.engine.pool, "checkedout", None)
        return int(checkedout()) if callable(checkedout) else 0

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._side is not None:
            await self._side.dispose()
        if self._owner is not None:
            await self._owner.dispose()
            self._owner = None


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


async def set_phone_lookups(session: AsyncSession, phone_hashes: Iterable[str]) -> None:
    """The batch of numbers (keyed hashes) whose accounts this transaction may see (PostgreSQL).

    Imports and ingestion look up many numbers at once; the hashes are hex, so a comma
    separates them. An empty batch names none.
    """
    if is_postgres(session):
        await session.execute(
            text("SELECT set_config('app.phone_hashes', :hashes, true)"),
            {"hashes": ",".join(phone_hashes)},
        )


async def set_refresh_lookup(session: AsyncSession, token_hash: str | None) -> None:
    """The one refresh token this transaction may look up by its hash (PostgreSQL)."""
    if is_postgres(session):
        await session.execute(
            text("SELECT set_config('app.refresh_token_hash', :hash, true)"),
            {"hash": token_hash or ""},
        )


async def set_identity_lookup(session: AsyncSession, lookup_hash: str | None) -> None:
    """The one external identity this transaction may find by its lookup hash (PostgreSQL)."""
    if is_postgres(session):
        await session.execute(
            text("SELECT set_config('app.identity_lookup', :hash, true)"),
            {"hash": lookup_hash or ""},
        )


async def set_oidc_lookup(session: AsyncSession, digest: str | None) -> None:
    """The one provider sign-in attempt (by state or pending link) this transaction may see."""
    if is_postgres(session):
        await session.execute(
            text("SELECT set_config('app.oidc_lookup', :hash, true)"), {"hash": digest or ""}
        )


def is_postgres(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


SQLITE_CHUNK = 5000  # stays under SQLite's bound-parameter limit


PHONE_LOOKUP_CHUNK = 1000  # numbers named at once to row-level security (see below)


def value_chunks(
    session: AsyncSession, values: list[Any], postgres: int = 100_000
) -> list[list[Any]]:
    """Slices of `values` small enough for one `where_in` statement on this database.

    Lookups of accounts by number pass `postgres=PHONE_LOOKUP_CHUNK`: the account policy
    checks each row against the whole named batch (`app.phone_hashes`), so a statement's
    cost grows with rows × batch; 50,000 numbers in one batch ran past the statement timeout.
    """
    size = postgres if is_postgres(session) else SQLITE_CHUNK
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

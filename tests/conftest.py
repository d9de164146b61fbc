"""Every database test runs on SQLite and on PostgreSQL (ids end in [sqlite] / [postgres]).

Each xdist worker gets its own databases, built by the migrations. On PostgreSQL the app
connects as a plain role (`rostra_app`) that row-level security applies to; fixtures that
seed or inspect use the owner. Between tests every table is emptied.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.config import ROOT, Settings
from app.core.context import ServiceContext
from app.core.migrate import grant_app_role, sync_url, upgrade
from app.main import create_app
from app.schema import metadata

PG_HOST = os.environ.get("ROSTRA_TEST_PG_HOST", "127.0.0.1:5432")
PG_ADMIN = os.environ.get("ROSTRA_TEST_PG_ADMIN", "postgres")
APP_ROLE = "rostra_app"
PG_OFF = os.environ.get("ROSTRA_TEST_PG", "").lower() == "off"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgres",
        id="postgres",
        marks=pytest.mark.skipif(PG_OFF, reason="ROSTRA_TEST_PG=off"),
    ),
]
# A test about PostgreSQL itself (row-level security): runs only as [postgres].
postgres_only = pytest.mark.parametrize("database", [BACKENDS[1]], indirect=True)
# Cross-school modules run a third time as [postgres-owner]: the app connects as the owner,
# whom row-level security does not bind, so the application's own tenant predicates are the
# only wall and a missing one shows (on [postgres] RLS would hide it).
OWNER_BACKEND = pytest.param(
    "postgres-owner",
    id="postgres-owner",
    marks=pytest.mark.skipif(PG_OFF, reason="ROSTRA_TEST_PG=off"),
)
cross_school = pytest.mark.parametrize("database", [*BACKENDS, OWNER_BACKEND], indirect=True)


@dataclass(frozen=True)
class TestDatabase:
    backend: str
    owner_url: str  # async URL of the schema owner
    app_url: str  # async URL the app uses

    @property
    def is_postgres(self) -> bool:
        return self.backend == "postgres"


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _create_postgres(name: str) -> TestDatabase:
    admin = create_engine(
        f"postgresql+psycopg://{PG_ADMIN}@{PG_HOST}/postgres", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        role = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": APP_ROLE})
        if role.scalar() is None:
            # Another worker may create it at the same moment.
            with contextlib.suppress(Exception):
                conn.execute(text(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS"))
    admin.dispose()
    owner = f"postgresql+asyncpg://{PG_ADMIN}@{PG_HOST}/{name}"
    upgrade(owner)
    grant_app_role(owner, APP_ROLE)
    return TestDatabase("postgres", owner, f"postgresql+asyncpg://{APP_ROLE}@{PG_HOST}/{name}")


def _create_sqlite(directory: Path) -> TestDatabase:
    path = directory / "rostra.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    return TestDatabase("sqlite", url, url)


@pytest.fixture(scope="session")
def _databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, TestDatabase]]:
    made: dict[str, TestDatabase] = {}
    yield made
    for db in made.values():
        if db.is_postgres:
            admin = create_engine(
                f"postgresql+psycopg://{PG_ADMIN}@{PG_HOST}/postgres", isolation_level="AUTOCOMMIT"
            )
            with admin.connect() as conn:
                name = db.owner_url.rsplit("/", 1)[-1]
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


@pytest.fixture(params=BACKENDS)
def database(
    request: pytest.FixtureRequest,
    _databases: dict[str, TestDatabase],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[TestDatabase]:
    backend: str = request.param
    built = "postgres" if backend == "postgres-owner" else backend
    if built not in _databases:
        if built == "postgres":
            _databases[built] = _create_postgres(f"rostra_test_{_worker()}_{os.getpid()}")
        else:
            _databases[built] = _create_sqlite(tmp_path_factory.mktemp("sqlite"))
    db = _databases[built]
    if backend == "postgres-owner":
        db = TestDatabase("postgres", db.owner_url, db.owner_url)  # RLS does not bind the app
    yield db
    _empty_all_tables(db)
    clock.reset()


def _empty_all_tables(db: TestDatabase) -> None:
    engine = create_engine(sync_url(db.owner_url))
    tables = [t.name for t in metadata.sorted_tables]
    with engine.begin() as conn:
        if db.is_postgres:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))
            # The job runner's own tables (procrastinate's, not in the metadata): a job one
            # test queued must not sit in the next test's queue.
            if conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar():
                conn.execute(text("TRUNCATE procrastinate_jobs CASCADE"))
        else:
            for table in reversed(tables):
                conn.execute(text(f'DELETE FROM "{table}"'))
    engine.dispose()


def make_settings(db: TestDatabase, tmp: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "test",
        "database_url": db.app_url,
        "migrate_database_url": db.owner_url,
        "secret_key": "test-secret-key-that-is-long-enough-1234",
        "var_dir": tmp / "var",
        "object_store_dir": tmp / "objects",
        "tenants_dir": ROOT / "tenants",
        "log_json": False,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(database: TestDatabase, tmp_path: Path) -> Settings:
    return make_settings(database, tmp_path)


@pytest.fixture
async def owner(settings: Settings) -> AsyncIterator[ServiceContext]:
    """Service context connected as the schema owner (seeding, inspection; bypasses RLS)."""
    ctx = ServiceContext.build(
        settings.model_copy(update={"database_url": settings.owner_database_url})
    )
    yield ctx
    await ctx.db.dispose()


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Any]:
    application = create_app(settings)
    yield application
    await application.state.ctx.db.dispose()


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://rostra.test") as c:
        yield c


@pytest.fixture
async def schools(owner: ServiceContext) -> dict[str, Any]:
    """The demo schools of tenants/*.toml, applied."""
    from app.privacy.notices import publish_declared_notices
    from app.tenancy.repository import all_tenants
    from app.tenancy.service import apply_tenants

    async with owner.db.session() as session:
        await apply_tenants(session, owner.keys, owner.settings.tenants_dir, dry_run=False)
        await publish_declared_notices(session, await all_tenants(session))
    async with owner.db.session() as session:
        return {t.slug: t for t in await all_tenants(session)}


async def latest_code(owner: ServiceContext, phone: str) -> str:
    from app.accounts import repository
    from app.accounts.service import phone_hash
    from app.core.phones import normalize

    async with owner.db.session() as session:
        messages = await repository.outbox_for(session, phone_hash(owner.keys, normalize(phone)))
    assert messages, f"no SMS was sent to {phone}"
    code = messages[-1].code
    assert code is not None
    return code


LoginFn = Callable[[str], Awaitable[dict[str, str]]]


@pytest.fixture
def login(client: httpx.AsyncClient, owner: ServiceContext) -> LoginFn:
    """`headers = await login("+8613800000001")`: the real OTP flow, returning auth headers."""

    async def _login(phone: str) -> dict[str, str]:
        sent = await client.post("/v1/auth/otp", json={"phone": phone})
        if sent.status_code == 429:  # a code was sent moments ago in this test: move on
            clock.advance(61)
            sent = await client.post("/v1/auth/otp", json={"phone": phone})
        assert sent.status_code == 202, sent.text
        code = await latest_code(owner, phone)
        token = await client.post("/v1/auth/token", json={"phone": phone, "code": code})
        assert token.status_code == 200, token.text
        return {"Authorization": f"Bearer {token.json()['access_token']}"}

    return _login


async def owner_session(owner: ServiceContext) -> AsyncSession:
    return owner.db.sessionmaker()

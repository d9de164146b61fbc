"""The database pool and statement timeout are settings; a slow query is cancelled by
PostgreSQL and the request answers 503 problem+json instead of piling up (#18)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app.core.deps import SessionDep
from app.main import create_app
from tests.conftest import make_settings, postgres_only


def _with_slow_route(app: Any) -> Any:
    """A route only this test adds: one statement that sleeps on the server."""

    @app.get("/test-only/slow")
    async def slow(session: SessionDep, seconds: float = 5.0) -> dict[str, str]:
        await session.execute(text("SELECT pg_sleep(:s)"), {"s": seconds})
        return {"slept": str(seconds)}

    return app


@pytest.fixture
async def timed_client(database, tmp_path) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(
        database, tmp_path, db_statement_timeout_ms=300, db_pool_size=2, db_max_overflow=0
    )
    app = _with_slow_route(create_app(settings))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://rostra.test") as c:
        yield c
    await app.state.ctx.db.dispose()


@postgres_only
async def test_a_statement_past_the_timeout_is_cancelled_and_answers_503(timed_client):
    assert (await timed_client.get("/readyz")).status_code == 200  # the pool is connected
    started = time.perf_counter()
    response = await timed_client.get("/test-only/slow", params={"seconds": 30})
    took = time.perf_counter() - started
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["Retry-After"] == "1"
    assert response.json()["type"].endswith("/unavailable")
    assert "timeout" in response.json()["detail"]
    assert took < 10, f"the 30 s statement should have been cancelled at 0.3 s, took {took:.1f} s"
    # The cancelled connection went back to the pool usable: the next requests succeed.
    for _ in range(3):
        assert (await timed_client.get("/readyz")).status_code == 200
    assert (await timed_client.get("/test-only/slow", params={"seconds": 0.01})).status_code == 200


@postgres_only
async def test_the_pool_settings_reach_the_engine(database, tmp_path):
    settings = make_settings(
        database, tmp_path, db_pool_size=3, db_max_overflow=1, db_pool_timeout_seconds=2.5
    )
    app = create_app(settings)
    try:
        pool: Any = app.state.ctx.db.engine.pool
        assert (pool.size(), pool._max_overflow, pool._timeout) == (3, 1, 2.5)
        async with app.state.ctx.db.engine.connect() as conn:
            timeout = (await conn.execute(text("SHOW statement_timeout"))).scalar_one()
            assert app.state.ctx.db.connections_in_use() == 1
        assert timeout == "30s"  # the default ROSTRA_DB_STATEMENT_TIMEOUT_MS
    finally:
        await app.state.ctx.db.dispose()


@postgres_only
async def test_no_free_connection_in_time_answers_503_not_a_hang(database, tmp_path):
    """ROSTRA_DB_POOL_TIMEOUT_SECONDS: with the one connection busy, the next request waits
    that long for it, then answers 503 problem+json with Retry-After."""
    settings = make_settings(
        database, tmp_path, db_pool_size=1, db_max_overflow=0, db_pool_timeout_seconds=0.5
    )
    app = _with_slow_route(create_app(settings))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://rostra.test") as c:
            busy = asyncio.create_task(c.get("/test-only/slow", params={"seconds": 2}))
            await asyncio.sleep(0.3)  # the first request holds the pool's only connection
            started = time.perf_counter()
            waiting = await c.get("/test-only/slow", params={"seconds": 0})
            took = time.perf_counter() - started
            assert (await busy).status_code == 200
    finally:
        await app.state.ctx.db.dispose()
    assert waiting.status_code == 503
    assert waiting.headers["Retry-After"] == "1"
    assert "no database connection" in waiting.json()["detail"]
    assert took < 1.5


async def _drop_app_connections(owner: Any, url: str) -> int:
    """What a database restart does to the pool: the server ends every app connection."""
    async with owner.db.session() as session:
        ended = await session.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND usename = :role"
            ),
            {"role": url.split("://", 1)[1].split("@", 1)[0]},
        )
        return int(ended.scalar_one())


@postgres_only
async def test_an_idle_pooled_connection_the_server_dropped_is_replaced_not_answered_500(
    database, tmp_path, owner
):
    """ROSTRA_DB_PING_IDLE_SECONDS: a connection idle that long is pinged before use; one
    returned moments ago is not (a ping on asyncpg is three round trips)."""
    settings = make_settings(database, tmp_path, db_ping_idle_seconds=0.2, db_pool_size=2)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://rostra.test") as c:
            assert (await c.get("/readyz")).status_code == 200  # one connection now pooled
            assert await _drop_app_connections(owner, settings.database_url) >= 1
            await asyncio.sleep(0.3)
            for _ in range(3):
                assert (await c.get("/readyz")).status_code == 200
    finally:
        await app.state.ctx.db.dispose()

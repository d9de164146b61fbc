"""The probes the manifests use (#18): /healthz answers while the process lives; /readyz
asks the database and answers 503 problem+json when it cannot be reached."""

from __future__ import annotations

import httpx

from app.core.config import Settings
from app.main import create_app


async def test_readyz_is_ready_when_the_database_answers(client, database):
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


async def test_readyz_is_503_while_healthz_is_200_when_the_database_is_gone(tmp_path):
    settings = Settings(
        env="test",
        database_url="postgresql+asyncpg://rostra_app@127.0.0.1:1/rostra",  # nothing listens
        var_dir=tmp_path / "var",
        secret_key="test-secret-key-that-is-long-enough-1234",
        log_json=False,
        db_pool_timeout_seconds=2,
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://rostra.test") as c:
            assert (await c.get("/healthz")).status_code == 200
            ready = await c.get("/readyz")
    finally:
        await app.state.ctx.db.dispose()
    assert ready.status_code == 503
    assert ready.headers["content-type"] == "application/problem+json"
    assert ready.json()["type"].endswith("/not-ready")

"""The development log prints a 500's traceback plainly and fast (#11)."""

from __future__ import annotations

import httpx

from app.main import create_app
from tests.conftest import make_settings


async def test_a_500_is_logged_as_a_plain_traceback(database, tmp_path, capsys):
    """SEC-7: the traceback is in the log as Python prints it, without the pretty renderer."""
    app = create_app(make_settings(database, tmp_path, log_json=False))

    @app.get("/boom")
    async def boom() -> None:
        secret_local = "x" * 10_000  # a pretty renderer would print the frame's locals
        raise RuntimeError(f"boom {len(secret_local)}")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://rostra.test") as client:
        response = await client.get("/boom")
    await app.state.ctx.db.dispose()
    assert response.status_code == 500
    assert response.json()["type"].endswith("/internal")
    logged = capsys.readouterr().err
    assert "Traceback (most recent call last):" in logged
    assert "RuntimeError: boom 10000" in logged
    assert "╭" not in logged and "x" * 1000 not in logged


async def test_the_outermost_500_carries_the_security_headers(database, tmp_path):
    """SEC-2: the 500 answer is made outside the middleware stack; it is still nosniff,
    unframeable, with a CSP and the request id its log line carries (#11)."""
    app = create_app(make_settings(database, tmp_path, log_json=False))

    @app.post("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://rostra.test") as client:
        response = await client.post("/boom", headers={"X-Request-ID": "req-500-check"})
    await app.state.ctx.db.dispose()
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Request-ID"] == "req-500-check"

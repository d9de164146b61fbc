"""Request bodies are capped while they stream in, per route (app/core/bodylimit.py, #11)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from app.main import create_app
from tests.classroom.conftest import bearer
from tests.conftest import make_settings

MiB = 1024 * 1024


@pytest.fixture
async def limited_client(database, tmp_path) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(
        database, tmp_path, ingest_body_max_bytes=MiB, body_max_bytes=64 * 1024
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://rostra.test") as c:
        yield c
    await app.state.ctx.db.dispose()


class HugeBody:
    """A chunked JSON body that would be 1 GiB if read to the end; counts what was taken."""

    def __init__(self, chunks: int = 16 * 1024, size: int = 64 * 1024) -> None:
        self.chunks, self.size, self.sent = chunks, size, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"events": ['
        for _ in range(self.chunks):
            self.sent += 1
            yield b" " * self.size


async def test_chunked_ingest_body_over_the_limit_is_413_before_it_is_read(limited_client, world):
    """SEC-3: a 1 GiB chunked batch is refused at the route's 1 MiB, not held whole."""
    body = HugeBody()
    response = await limited_client.post(
        "/v1/ingest/events",
        content=body,
        headers={**bearer(world.key), "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["max_bytes"] == MiB and problem["field"] == "body"
    assert str(MiB) in problem["detail"]
    # The body stopped being read just past the limit: far from the whole generator.
    assert body.sent * body.size < 2 * MiB
    assert body.sent < body.chunks


async def test_declared_length_over_the_limit_is_refused_unread(limited_client, world):
    response = await limited_client.post(
        "/v1/ingest/events",
        content=b"{" + b" " * (MiB + 10) + b"}",
        headers={**bearer(world.key), "content-type": "application/json"},
    )
    assert response.status_code == 413 and response.json()["max_bytes"] == MiB


async def test_under_the_limit_the_batch_is_taken(limited_client, world):
    response = await limited_client.post(
        "/v1/ingest/events", json={"events": []}, headers=bearer(world.key)
    )
    assert response.status_code == 202


async def test_other_routes_have_the_default_limit(limited_client, world):
    """Every route that takes a body is capped, here the login route at the default 64 KiB."""
    response = await limited_client.post(
        "/v1/auth/otp",
        content=b'{"phone": "' + b"1" * (100 * 1024) + b'"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["max_bytes"] == 64 * 1024
    # The ingestion route's own limit is larger than the default.
    taken = await limited_client.post(
        "/v1/ingest/events",
        content=b'{"events": []' + b" " * (100 * 1024) + b"}",
        headers={**bearer(world.key), "content-type": "application/json"},
    )
    assert taken.status_code != 413

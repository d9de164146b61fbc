"""Backpressure on ingestion (#18): a school's events per minute, counted in the database,
and a gzip body bounded as it inflates. SEC-9: act against abuse that disrupts the service."""

from __future__ import annotations

import gzip
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy import func, select, update

from app.classroom.models import ClassroomEvent
from app.core import clock
from app.core.config import ROOT
from app.core.context import ServiceContext
from app.core.db import set_tenant
from app.main import create_app
from app.tenancy.models import Tenant
from app.tenancy.repository import tenant_by_slug
from app.tenancy.service import apply_tenants
from app.tenancy.tenantfile import TenantFileError
from tests.classroom.conftest import World, bearer, event, send
from tests.conftest import make_settings


async def _set_limit(owner: ServiceContext, tenant: Tenant, per_minute: int | None) -> None:
    async with owner.db.session() as session:
        await session.execute(
            update(Tenant).where(Tenant.id == tenant.id).values(ingest_events_per_minute=per_minute)
        )


async def _stored(owner: ServiceContext, tenant: Tenant) -> int:
    async with owner.db.session() as session:
        await set_tenant(session, tenant.id)
        count = await session.scalar(
            select(func.count())
            .select_from(ClassroomEvent)
            .where(ClassroomEvent.tenant_id == tenant.id)
        )
    return int(count or 0)


def _joins(w: World, n: int, lesson=None) -> list[dict]:
    return [event(w, "attendance.joined", minute=i, lesson=lesson) for i in range(n)]


async def test_a_school_past_its_events_per_minute_gets_429_with_retry_after(
    client, owner, world: World
):
    """The school's limit (tenant file [limits]) is counted per minute; past it: 429, nothing
    written, another school unaffected, and the next minute admits the batch again."""
    clock.advance(-clock.now().second)  # start at the top of a minute: one window for the test
    await _set_limit(owner, world.north, 5)
    assert (await send(client, world.key, _joins(world, 3))).status_code == 202

    refused = await send(client, world.key, _joins(world, 3))
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["Retry-After"] == "60"  # the test starts at the top of a minute
    assert "5 events per minute" in refused.json()["detail"]
    assert await _stored(owner, world.north) == 3

    # Another school has its own count (the platform's default here).
    south = [event(world, "attendance.joined", lesson=world.south_lesson, who="+8613900000201")]
    assert (await send(client, world.south_key, south)).status_code == 202

    clock.advance(61)
    assert (await send(client, world.key, _joins(world, 2))).status_code == 202
    assert await _stored(owner, world.north) == 5


async def test_the_count_is_shared_by_every_process(client, owner, world: World, settings):
    """Two app instances (as two API workers) draw on one count kept in the database."""
    clock.advance(-clock.now().second)
    await _set_limit(owner, world.north, 4)
    second = create_app(settings)
    transport = httpx.ASGITransport(app=second)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://rostra.test") as other:
            assert (await send(client, world.key, _joins(world, 3))).status_code == 202
            assert (await send(other, world.key, _joins(world, 2))).status_code == 429
            assert (await send(other, world.key, _joins(world, 1))).status_code == 202
            assert (await send(client, world.key, _joins(world, 1))).status_code == 429
    finally:
        await second.state.ctx.db.dispose()
    assert await _stored(owner, world.north) == 4


async def test_the_platform_setting_limits_schools_without_their_own(database, tmp_path, world):
    """ROSTRA_INGEST_EVENTS_PER_MINUTE applies where the tenant file sets no [limits]."""
    clock.advance(-clock.now().second)
    app = create_app(make_settings(database, tmp_path, ingest_events_per_minute=2))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://rostra.test") as c:
            assert (await send(c, world.key, _joins(world, 2))).status_code == 202
            assert (await send(c, world.key, _joins(world, 1))).status_code == 429
    finally:
        await app.state.ctx.db.dispose()


def _tenant_dir(tmp_path: Path, limits: str) -> Path:
    directory = tmp_path / "tenants"
    directory.mkdir()
    shutil.copy(ROOT / "tenants" / "demo-south.toml", directory)
    text = (ROOT / "tenants" / "demo-north.toml").read_text()
    (directory / "demo-north.toml").write_text(text + "\n[limits]\n" + limits + "\n")
    return directory


async def test_the_tenant_file_sets_the_limit(owner, schools, tmp_path):
    directory = _tenant_dir(tmp_path, "ingest_events_per_minute = 1200")
    async with owner.db.session() as session:
        plans = await apply_tenants(session, owner.keys, directory, dry_run=False)
    north = next(p for p in plans if p.slug == "demo-north")
    assert "ingest_events_per_minute: None -> 1200" in north.changes
    async with owner.db.session() as session:
        tenant = await tenant_by_slug(session, "demo-north")
    assert tenant is not None and tenant.ingest_events_per_minute == 1200


async def test_a_limit_below_one_is_refused_naming_the_key(owner, schools, tmp_path):
    directory = _tenant_dir(tmp_path, "ingest_events_per_minute = 0")
    with pytest.raises(TenantFileError) as refused:
        async with owner.db.session() as session:
            await apply_tenants(session, owner.keys, directory, dry_run=True)
    assert refused.value.key == "limits.ingest_events_per_minute"


@pytest.fixture
async def small_inflate_client(database, tmp_path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(database, tmp_path, ingest_decompressed_max_bytes=4096))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://rostra.test") as c:
        yield c
    await app.state.ctx.db.dispose()


async def test_a_gzip_batch_is_bounded_as_it_inflates(small_inflate_client, owner, world):
    """ROSTRA_INGEST_DECOMPRESSED_MAX_BYTES: a small gzip body that inflates past it is 413."""
    events = _joins(world, 40)
    plain = orjson.dumps({"events": events})
    packed = gzip.compress(plain)
    assert len(packed) < 4096 < len(plain)
    headers = {**bearer(world.key), "content-type": "application/json", "content-encoding": "gzip"}
    response = await small_inflate_client.post("/v1/ingest/events", content=packed, headers=headers)
    assert response.status_code == 413
    assert response.json()["field"] == "body"
    assert "4096" in response.json()["detail"]
    assert await _stored(owner, world.north) == 0
    small = gzip.compress(orjson.dumps({"events": events[:2]}))
    ok = await small_inflate_client.post("/v1/ingest/events", content=small, headers=headers)
    assert ok.status_code == 202, ok.text

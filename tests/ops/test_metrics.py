"""`/metrics` in the Prometheus format, read after real requests (#18): requests by route
template and status, ingestion by school and outcome, job queue, audit seal lag, pool."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.authz.sealing import seal_all
from app.core import clock
from app.jobs.queue import enqueue
from app.main import create_app
from tests.classroom.conftest import NORTH_ADMIN, World, event, send
from tests.conftest import make_settings

TOKEN = "metrics-token-for-the-scraper-0123456789"


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def _value(samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


async def _scrape(client: httpx.AsyncClient) -> dict:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return _samples(response.text)


async def test_requests_are_counted_by_route_template_and_status(client, login, world: World):
    headers = await login(NORTH_ADMIN)
    for _ in range(2):
        listed = await client.get("/v1/tenants/demo-north/members", headers=headers)
        assert listed.status_code == 200
    assert (await client.get("/v1/tenants/demo-south/members", headers=headers)).status_code == 404
    assert (await client.get("/no/such/path")).status_code == 404

    samples = await _scrape(client)
    route = "/v1/tenants/{slug}/members"
    assert (
        _value(samples, "rostra_http_requests_total", method="GET", route=route, status="200") == 2
    )
    assert (
        _value(samples, "rostra_http_requests_total", method="GET", route=route, status="404") == 1
    )
    assert (
        _value(samples, "rostra_http_requests_total", method="GET", route="unmatched", status="404")
        == 1
    )
    count = _value(
        samples,
        "rostra_http_request_duration_seconds_count",
        method="GET",
        route=route,
        status="200",
    )
    assert count == 2
    inf = _value(
        samples,
        "rostra_http_request_duration_seconds_bucket",
        method="GET",
        route=route,
        status="200",
        le="+Inf",
    )
    assert inf == 2
    # Raw paths (slugs, ids) never become labels.
    assert not any("demo-north" in v for _, labels in samples for _, v in labels)


async def test_ingestion_is_counted_per_school_and_outcome(client, world: World):
    batch = [
        event(world, "attendance.joined", cid="a"),
        event(world, "attendance.joined", 5, cid="b"),
    ]
    assert (await send(client, world.key, batch)).status_code == 202
    again = await send(client, world.key, [*batch, event(world, "attendance.joined", 7)])
    assert again.status_code == 202 and again.json()["duplicates"] == 2

    samples = await _scrape(client)
    north, south = str(world.north.id), str(world.south.id)
    assert _value(samples, "rostra_ingest_events_total", school=north, outcome="accepted") == 3
    assert _value(samples, "rostra_ingest_events_total", school=north, outcome="duplicate") == 2
    assert _value(samples, "rostra_ingest_events_total", school=north, outcome="dropped") == 0
    assert _value(samples, "rostra_ingest_events_total", school=south, outcome="accepted") is None


async def test_batches_refused_by_the_rate_limit_are_counted(client, owner, world: World):
    from sqlalchemy import update

    from app.tenancy.models import Tenant

    clock.advance(-clock.now().second)
    async with owner.db.session() as session:
        await session.execute(
            update(Tenant).where(Tenant.id == world.north.id).values(ingest_events_per_minute=1)
        )
    batch = [event(world, "attendance.joined", m) for m in (1, 2, 3)]
    assert (await send(client, world.key, batch)).status_code == 429
    samples = await _scrape(client)
    north = str(world.north.id)
    assert _value(samples, "rostra_ingest_events_total", school=north, outcome="rate_limited") == 3
    assert _value(samples, "rostra_ingest_events_total", school=north, outcome="accepted") is None


async def test_gauges_show_the_job_queue_and_the_audit_seal_lag(client, login, owner, world):
    await seal_all(owner.db)  # the world's own entries (API keys created)
    before = await _scrape(client)
    assert _value(before, "rostra_job_queue_depth") == 0
    assert _value(before, "rostra_audit_seal_lag_seconds") == 0
    assert _value(before, "rostra_db_pool_in_use") is not None
    assert _value(before, "rostra_db_pool_size") == 10

    headers = await login(NORTH_ADMIN)
    assert (await client.get("/v1/tenants/demo-north/members", headers=headers)).status_code == 200
    async with owner.db.session() as session:
        await enqueue(session, "metrics.test_only", {})
    clock.advance(120)

    after = await _scrape(client)
    assert _value(after, "rostra_job_queue_depth") == 1
    assert _value(after, "rostra_job_queue_oldest_age_seconds") >= 110
    assert _value(after, "rostra_audit_seal_lag_seconds") >= 110  # the member list's audit entry

    await seal_all(owner.db)
    assert _value(await _scrape(client), "rostra_audit_seal_lag_seconds") == 0


@pytest.fixture
async def guarded(database, tmp_path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(database, tmp_path, metrics_token=TOKEN))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://rostra.test") as c:
        yield c
    await app.state.ctx.db.dispose()


async def test_with_a_token_set_metrics_need_it(guarded):
    assert (await guarded.get("/metrics")).status_code == 401
    wrong = await guarded.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.headers["content-type"] == "application/problem+json"
    right = await guarded.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 200
    assert "rostra_http_requests_total" in right.text


def _production_settings(database, tmp_path, **over):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    return make_settings(
        database,
        tmp_path,
        env="production",
        secret_key="a-production-secret-that-is-long-enough-42",
        audit_key="an-audit-key-of-its-own-that-is-long-enough-7",
        jwt_private_key_pem=pem,
        sms_backend="http",
        sms_gateway_url="https://sms.example/send",
        **over,
    )


@pytest.mark.parametrize("token", [None, TOKEN])
async def test_in_production_metrics_are_closed_until_a_token_is_set(database, tmp_path, token):
    app = create_app(_production_settings(database, tmp_path, metrics_token=token))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://rostra.test") as c:
            assert (await c.get("/metrics")).status_code == 401
            guessed = await c.get("/metrics", headers={"Authorization": "Bearer "})
            assert guessed.status_code == 401
            if token is not None:
                given = await c.get("/metrics", headers={"Authorization": f"Bearer {token}"})
                assert given.status_code == 200
    finally:
        await app.state.ctx.db.dispose()

"""`/metrics` of `rostra serve --workers 2` (#18): whichever worker answers the scrape, each
request the server answered is counted once, and the pool gauges add up the live workers; a
worker killed with -9 keeps its counts and leaves the pool sum when uvicorn replaces it."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bench.procs import Proc, environment_of, server, stop_all
from tests.conftest import postgres_only

HEALTHZ = ("GET", "/healthz", "200")


def _env(settings: Any) -> dict[str, str]:
    return environment_of(
        settings,
        audit_sealer="false",
    )


def _fresh(url: str) -> httpx.AsyncClient:
    """A client that opens a new connection per request, so the kernel hands each one to
    whichever worker accepts it first."""
    limits = httpx.Limits(max_keepalive_connections=0)
    return httpx.AsyncClient(base_url=url, timeout=30, limits=limits)


async def _hit(url: str, times: int) -> None:
    async with _fresh(url) as client:
        answers = await asyncio.gather(*(client.get("/healthz") for _ in range(times)))
    assert {r.status_code for r in answers} == {200}


async def _scrapes(url: str, times: int) -> list[dict[str, float]]:
    """`times` scrapes on new connections: per scrape, healthz answers and the pool size."""
    found = []
    async with _fresh(url) as client:
        for _ in range(times):
            response = await client.get("/metrics")
            assert response.status_code == 200, response.text
            figures = {}
            for family in text_string_to_metric_families(response.text):
                for sample in family.samples:
                    labels = sample.labels
                    key = (labels.get("method"), labels.get("route"), labels.get("status"))
                    if sample.name == "rostra_http_requests_total" and key == HEALTHZ:
                        figures["healthz"] = sample.value
                    elif sample.name in ("rostra_db_pool_size", "rostra_db_pool_in_use"):
                        figures[sample.name] = sample.value
            found.append(figures)
    return found


@pytest.fixture
def two_workers(settings: Any, tmp_path: Any) -> Iterator[Proc]:
    env = _env(settings) | {"ROSTRA_METRICS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "counter_1.db").write_bytes(b"")  # an earlier run's: emptied
    proc = server("api", env, workers=2).start()
    yield proc
    stop_all([proc])


def _wait_for_workers(proc: Proc, count: int, seconds: float = 120) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pids = proc.worker_pids()
        if len(pids) == count:
            return pids
        time.sleep(0.2)
    raise AssertionError(f"uvicorn did not run {count} workers: {proc.worker_pids()}")


async def _until_both_answer(url: str, seconds: float = 120) -> None:
    """Both workers have started once the pool sizes add up to two pools."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with_ready = await _scrapes(url, 1)
        if with_ready[0].get("rostra_db_pool_size") == 20:
            return
        await asyncio.sleep(0.2)
    raise AssertionError("the second worker never wrote its pool size")


@pytest.mark.slow
@postgres_only
async def test_metrics_of_several_workers_count_each_request_once(
    database, settings, two_workers, tmp_path
):
    proc = two_workers.wait_ready()
    first, _ = _wait_for_workers(proc, 2)
    await _until_both_answer(proc.url)
    assert not (tmp_path / "metrics" / "counter_1.db").exists()

    await _hit(proc.url, 40)
    scrapes = await _scrapes(proc.url, 10)
    assert {s["healthz"] for s in scrapes} == {40}  # counted once, whoever answered
    assert {s["rostra_db_pool_size"] for s in scrapes} == {20}  # two workers' pools of 10
    assert all(s["rostra_db_pool_in_use"] >= 1 for s in scrapes)  # the scrape's own

    os.kill(first, signal.SIGKILL)
    replaced = _wait_for_workers(proc, 2)
    assert first not in replaced  # (on a busy machine uvicorn may replace a slow one too)
    await _until_both_answer(proc.url)
    await _hit(proc.url, 5)
    scrapes = await _scrapes(proc.url, 10)
    assert {s["healthz"] for s in scrapes} == {45}  # the killed worker's answers still count
    assert {s["rostra_db_pool_size"] for s in scrapes} == {20}  # its pool no longer does

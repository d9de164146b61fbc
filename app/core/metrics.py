"""Prometheus metrics: requests by route template, ingestion by school, gauges.

One process: each app instance has its own registry (tests build many apps in one process).
Several (`rostra serve --workers N`, or PROMETHEUS_MULTIPROC_DIR set): prometheus-client's
multiprocess mode, every worker writing its values to files in one directory and /metrics
adding up all of them, so whichever worker answers shows the whole server's figures.
Labels are route templates (`/v1/tenants/{slug}/members`), never raw paths, so a path's ids
neither reach the metrics nor multiply their series; a path no route matched is `unmatched`.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST as METRICS_MEDIA_TYPE
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "METRICS_MEDIA_TYPE",
    "MULTIPROCESS_ENV",
    "Metrics",
    "MetricsMiddleware",
    "QueueFigures",
    "multiprocess_dir",
]

# prometheus-client reads it when imported: a worker must have it before it imports the app.
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
_LIVE_FILE = re.compile(r"gauge_live\w+_(\d+)\.db")

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(frozen=True, slots=True)
class QueueFigures:
    """Jobs waiting to run, and how long the oldest of them has waited."""

    depth: int
    oldest_age_seconds: float


def multiprocess_dir(configured: Path | None, workers: int) -> tuple[Path | None, bool]:
    """Where the workers of one `rostra serve` share their metrics (None: one process, its own
    registry), emptied of an earlier run's files; True when it is a new temporary directory
    that the caller removes at the end."""
    if configured is None and workers <= 1:
        return None, False
    made = configured is None
    path = Path(tempfile.mkdtemp(prefix="rostra-metrics-")) if configured is None else configured
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):  # counters of a server that is no longer running
        stale.unlink()
    return path, made


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def forget_dead_processes(path: Path) -> list[int]:
    """Drop the live gauges (pool) of workers that died without saying so (kill -9, OOM);
    their counters stay, as what they answered was answered."""
    dead = set()
    for file in path.glob("gauge_live*.db"):
        match = _LIVE_FILE.fullmatch(file.name)
        if match and not _pid_alive(int(match.group(1))):
            dead.add(int(match.group(1)))
    for pid in dead:
        _mark_dead(pid, path)
    return sorted(dead)


def _mark_dead(pid: int, path: Path) -> None:
    multiprocess.mark_process_dead(pid, str(path))  # type: ignore[no-untyped-call]


class Metrics:
    def __init__(self) -> None:
        shared = os.environ.get(MULTIPROCESS_ENV)
        self.shared_dir = Path(shared) if shared else None
        # Several processes: the values live in the shared files, gathered at render time;
        # registering them in a registry as well would count this process twice.
        self.registry: CollectorRegistry | None = None if shared else CollectorRegistry()
        labels = ("method", "route", "status")
        self.requests = Counter(
            "rostra_http_requests", "HTTP requests answered", labels, registry=self.registry
        )
        self.latency = Histogram(
            "rostra_http_request_duration_seconds",
            "Time to answer an HTTP request",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.ingest_events = Counter(
            "rostra_ingest_events",
            "Classroom events by school and outcome (accepted, duplicate, dropped, rate_limited)",
            ("school", "outcome"),
            registry=self.registry,
        )
        # Read from the database at scrape time: the same fact whichever worker reads it.
        self.queue_depth = Gauge(
            "rostra_job_queue_depth",
            "Jobs waiting to run",
            registry=self.registry,
            multiprocess_mode="mostrecent",
        )
        self.queue_oldest = Gauge(
            "rostra_job_queue_oldest_age_seconds",
            "How long the oldest waiting job has waited",
            registry=self.registry,
            multiprocess_mode="mostrecent",
        )
        self.seal_lag = Gauge(
            "rostra_audit_seal_lag_seconds",
            "Age of the oldest audit entry not yet sealed into its school's chain (0: all sealed)",
            registry=self.registry,
            multiprocess_mode="mostrecent",
        )
        # Each process's own pool: summed over the processes that are alive.
        self.pool_in_use = Gauge(
            "rostra_db_pool_in_use",
            "Database connections checked out (all workers)",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.pool_size = Gauge(
            "rostra_db_pool_size",
            "Database pool size setting (summed over the live workers)",
            registry=self.registry,
            multiprocess_mode="livesum",
        )

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        labels = (method, route, str(status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)

    def ingested(self, school: uuid.UUID, accepted: int, duplicates: int, dropped: int) -> None:
        for outcome, count in (
            ("accepted", accepted),
            ("duplicate", duplicates),
            ("dropped", dropped),
        ):
            self.ingest_events.labels(str(school), outcome).inc(count)

    def rate_limited(self, school: uuid.UUID, events: int) -> None:
        """A batch refused whole (429): the school's events per minute were used up."""
        self.ingest_events.labels(str(school), "rate_limited").inc(events)

    def watch_pool(self, engine: AsyncEngine, size: int) -> None:
        """Keep the pool gauges as connections are checked out and in, so every worker's
        figure is current when another worker answers the scrape."""
        self.pool_size.set(size)

        def checked_out(*_: Any) -> None:
            self.pool_in_use.inc()

        def checked_in(*_: Any) -> None:
            self.pool_in_use.dec()

        event.listen(engine.sync_engine, "checkout", checked_out)
        event.listen(engine.sync_engine, "checkin", checked_in)

    def set_gauges(self, queue: QueueFigures, seal_lag_seconds: float) -> None:
        self.queue_depth.set(queue.depth)
        self.queue_oldest.set(queue.oldest_age_seconds)
        self.seal_lag.set(seal_lag_seconds)

    def render(self) -> bytes:
        if self.shared_dir is None:
            assert self.registry is not None
            return generate_latest(self.registry)
        forget_dead_processes(self.shared_dir)
        gathered = CollectorRegistry()
        collector = multiprocess.MultiProcessCollector  # untyped in prometheus-client
        collector(gathered, str(self.shared_dir))  # type: ignore[no-untyped-call]
        return generate_latest(gathered)

    def process_exits(self) -> None:
        """A worker's graceful end: its live gauges leave the sums (its counters stay)."""
        if self.shared_dir is not None:
            _mark_dead(os.getpid(), self.shared_dir)


def route_template(scope: Scope) -> str:
    """The matched route's template (a mount: its prefix), or `unmatched`."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path or "/"
    return "unmatched"


class MetricsMiddleware:
    """Counts and times every HTTP answer by method, route template and status."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            self.metrics.observe_request(
                scope.get("method", ""),
                route_template(scope),
                status,
                time.perf_counter() - started,
            )

"""Prometheus metrics of one process: requests by route template, ingestion by school, gauges.

Each app instance has its own registry (tests build many apps in one process). Labels are
route templates (`/v1/tenants/{slug}/members`), never raw paths, so a path's ids neither
reach the metrics nor multiply their series; a path no route matched is `unmatched`.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from prometheus_client import CONTENT_TYPE_LATEST as METRICS_MEDIA_TYPE
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["METRICS_MEDIA_TYPE", "Metrics", "MetricsMiddleware", "QueueFigures"]

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(frozen=True, slots=True)
class QueueFigures:
    """Jobs waiting to run, and how long the oldest of them has waited."""

    depth: int
    oldest_age_seconds: float


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
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
        self.queue_depth = Gauge(
            "rostra_job_queue_depth", "Jobs waiting to run", registry=self.registry
        )
        self.queue_oldest = Gauge(
            "rostra_job_queue_oldest_age_seconds",
            "How long the oldest waiting job has waited",
            registry=self.registry,
        )
        self.seal_lag = Gauge(
            "rostra_audit_seal_lag_seconds",
            "Age of the oldest audit entry not yet sealed into its school's chain (0: all sealed)",
            registry=self.registry,
        )
        self.pool_in_use = Gauge(
            "rostra_db_pool_in_use", "Database connections checked out", registry=self.registry
        )
        self.pool_size = Gauge(
            "rostra_db_pool_size", "Database pool size setting", registry=self.registry
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

    def set_gauges(
        self, queue: QueueFigures, seal_lag_seconds: float, pool_in_use: int, pool_size: int
    ) -> None:
        self.queue_depth.set(queue.depth)
        self.queue_oldest.set(queue.oldest_age_seconds)
        self.seal_lag.set(seal_lag_seconds)
        self.pool_in_use.set(pool_in_use)
        self.pool_size.set(pool_size)

    def render(self) -> bytes:
        return generate_latest(self.registry)


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

"""`GET /metrics`: the Prometheus text format, behind a bearer token (ROSTRA_METRICS_TOKEN).

Counters and the pool gauges are kept as requests pass (`app/core/metrics.py`); the job
queue and audit seal lag are read when the scraper asks. Under `rostra serve --workers N`
any worker answers with the sum of all of them. With no token set, /metrics is open in
development and test, and closed (401) in production.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.authz.seal_lag import seal_lag_seconds
from app.core.context import ServiceContext
from app.core.deps import ContextDep, SessionDep
from app.core.errors import Unauthorized
from app.core.metrics import METRICS_MEDIA_TYPE
from app.jobs.depth import waiting_jobs

router = APIRouter(tags=["health"])


def _require_token(ctx: ServiceContext, request: Request) -> None:
    token = ctx.settings.metrics_token
    if token is None and ctx.settings.env != "production":
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if token is None or scheme.lower() != "bearer":
        raise Unauthorized("/metrics needs Authorization: Bearer <ROSTRA_METRICS_TOKEN>")
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise Unauthorized("the metrics token is wrong")


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, ctx: ContextDep, session: SessionDep) -> Response:
    _require_token(ctx, request)
    queue = await waiting_jobs(session)
    lag = await seal_lag_seconds(session)
    ctx.metrics.set_gauges(queue, lag)
    return Response(ctx.metrics.render(), media_type=METRICS_MEDIA_TYPE)

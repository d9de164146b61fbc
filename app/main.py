"""The app factory: settings, lifespan, routers, error handler."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlalchemy import text

from app.accounts.password_router import router as password_router
from app.accounts.router import router as auth_router
from app.accounts.sessions_router import router as sessions_router
from app.analytics.record_router import router as learning_record_router
from app.analytics.reports_router import router as reports_router
from app.analytics.router import router as analytics_router
from app.authz import wiring as authz_wiring
from app.authz.router import router as authz_router
from app.classroom.files.router import router as classroom_files_router
from app.classroom.ingest.openapi import add_components
from app.classroom.ingest.router import router as classroom_ingest_router
from app.classroom.records.router import router as classroom_records_router
from app.core.bodylimit import BodyLimit, BodyLimitMiddleware
from app.core.config import Settings, get_settings
from app.core.context import ServiceContext
from app.core.errors import install_error_handlers, problem
from app.core.logging import configure_logging, log
from app.core.metrics import MetricsMiddleware
from app.core.middleware import (
    ControlCharacterGuard,
    RequestIdMiddleware,
    SecurityHeadersMiddleware,
    add_security_headers,
)
from app.core.policy.decisions import get_policy
from app.identity.router import router as identity_router
from app.jobs import wiring as jobs_wiring
from app.lifecycle.platform_router import router as lifecycle_platform_router
from app.lifecycle.router import router as offboarding_router
from app.oneroster.errors import install_status_info
from app.oneroster.rest import router as oneroster_rest_router
from app.oneroster.router import router as oneroster_router
from app.ops.metrics import router as metrics_router
from app.portal import install as install_portal
from app.privacy.router import router as privacy_router
from app.retention.router import router as retention_router
from app.rights.export.router import router as export_router
from app.rights.minors.router import router as minors_router
from app.rights.profile.router import router as profile_router
from app.rights.router import router as rights_router
from app.roster.router import router as roster_router
from app.tenancy.router import router as members_router
from app.tenancy.security_router import router as security_router
from app.tenancy.tenantfile import TenantFileError, calling_regions

ROUTERS = [auth_router, members_router, authz_router, roster_router]
ROUTERS += [classroom_ingest_router, classroom_records_router]
ROUTERS += [classroom_files_router, privacy_router, export_router]
ROUTERS += [rights_router, profile_router, minors_router, retention_router]
ROUTERS += [analytics_router, learning_record_router, reports_router]
ROUTERS += [sessions_router, password_router, security_router, identity_router]
ROUTERS += [oneroster_router, oneroster_rest_router]
ROUTERS += [lifecycle_platform_router, offboarding_router]
ROUTERS += [metrics_router]


def body_limits(settings: Settings) -> list[BodyLimit]:
    """The routes that take more than the default body, and how much."""
    upload = settings.upload_max_bytes + settings.form_overhead_bytes
    return [
        BodyLimit(r"/v1/ingest/events", settings.ingest_body_max_bytes),
        BodyLimit(r"/v1/ingest/lessons/[^/]+/(recordings|snapshots)", upload),
        BodyLimit(r"/v1/tenants/[^/]+/lessons/[^/]+/(recordings|snapshots)", upload),
        BodyLimit(r"/v1/tenants/[^/]+/roster/import", settings.roster_import_max_bytes),
    ]


def with_sms_regions(settings: Settings) -> Settings:
    """Unset, the calling regions login codes may go to are those of the schools' tenant files
    (the default region when there are none)."""
    if settings.sms_allowed_regions is not None:
        return settings
    try:
        regions = calling_regions(settings.tenants_dir) or {settings.default_region}
    except TenantFileError as exc:  # `tenants apply` reports it; codes still reach home
        log.warning("sms.regions_unread", error=str(exc), region=settings.default_region)
        regions = {settings.default_region}
    return settings.model_copy(update={"sms_allowed_regions": sorted(regions)})


def prepare(app: FastAPI) -> None:
    """What a worker would otherwise do in its first requests, done at startup before
    /readyz answers: read the policy, and have FastAPI build every route's dependency graph
    (it builds them when a request first passes a router, which made the first reads of a
    new worker wait up to a second on a busy machine)."""
    get_policy()
    scope: dict[str, Any] = {"type": "http", "method": "GET", "path": "/", "root_path": ""}
    for route in app.router.routes:
        route.matches(scope | {"headers": [], "query_string": b""})


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = with_sms_regions(settings or get_settings())
    configure_logging(settings.json_logs)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        prepare(app)
        yield
        await app.state.ctx.db.dispose()
        app.state.ctx.metrics.process_exits()

    app = FastAPI(
        title="Rostra",
        version="0.1.0",
        description="Online-classroom records for schools, kept as the school's processor.",
        lifespan=lifespan,
    )
    app.state.ctx = ServiceContext.build(settings)
    app.state.ctx.metrics.watch_pool(app.state.ctx.db.engine, settings.db_pool_size)
    app.add_middleware(ControlCharacterGuard)
    app.add_middleware(
        BodyLimitMiddleware, limits=body_limits(settings), default_max_bytes=settings.body_max_bytes
    )
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=app.state.ctx.metrics)
    install_error_handlers(app)
    install_status_info(app)
    authz_wiring.install(app)  # background audit sealer
    jobs_wiring.install(app)  # in-process job worker (SQLite, or ROSTRA_JOBS_IN_PROCESS)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled", error=repr(exc))
        response = problem(
            500, "internal", "Internal error", "an unexpected error", request.url.path
        )
        request_id = getattr(request.state, "request_id", None)
        if request_id:  # the id the log line carries, as on every other answer
            response.headers["X-Request-ID"] = str(request_id)
        return add_security_headers(response)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    async def readyz() -> Any:
        try:
            async with app.state.ctx.db.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:  # the database is unreachable: not ready
            return problem(503, "not-ready", "Not ready", str(exc.__class__.__name__), "/readyz")
        return {"status": "ready"}

    for router in ROUTERS:
        app.include_router(router)
    install_portal(app)
    _publish_ingest_schemas(app)
    return app


def _publish_ingest_schemas(app: FastAPI) -> None:
    """`/openapi.json` with the event kinds of ingestion (its route reads the body itself)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_components(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

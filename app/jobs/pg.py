"""The PostgreSQL worker: procrastinate, whose queue lives in the application's database.

Each registered handler becomes a procrastinate task. A worker killed with -9 stops
sending heartbeats; the next worker prunes it (procrastinate frees its jobs) and this
module's recovery loop puts those 'doing' jobs back in the queue, so they run again.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import procrastinate
from sqlalchemy.engine import make_url

from app.core import locks
from app.core.context import ServiceContext
from app.core.logging import log
from app.jobs.registry import Handler, handlers, schedules
from app.jobs.settings import JobSettings


def conninfo(database_url: str) -> str:
    """The libpq URL (psycopg) of the service's SQLAlchemy URL."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _task(ctx: ServiceContext, handle: Handler) -> Any:
    async def run(**args: Any) -> None:
        await handle(ctx, args)

    return run


def build_app(
    ctx: ServiceContext, settings: JobSettings, *, with_schedules: bool = False
) -> procrastinate.App:
    """The tasks; with their schedules only for a long-running worker (a drain runs what is
    queued, it does not start the day's sweep)."""
    connector = procrastinate.PsycopgConnector(
        conninfo=conninfo(ctx.settings.database_url), min_size=1, max_size=4
    )
    app = procrastinate.App(connector=connector)
    # procrastinate counts retries after the first run; our setting counts every run.
    retries = max(settings.max_attempts - 1, 0)
    retry = procrastinate.RetryStrategy(max_attempts=retries, exponential_wait=2)
    cron = schedules()
    for name, handle in handlers().items():
        task = app.task(name=name, retry=retry)(_task(ctx, handle))
        if (
            with_schedules and name in cron
        ):  # procrastinate defers it at each tick (`timestamp` in the args)
            app.periodic(cron=cron[name], periodic_id=name)(task)
    return app


async def retry_stalled(app: procrastinate.App, settings: JobSettings) -> int:
    """Put back in the queue the running jobs of workers that stopped sending heartbeats."""
    await app.job_manager.prune_stalled_workers(settings.stalled_seconds)
    stalled = await app.job_manager.get_stalled_jobs(
        seconds_since_heartbeat=settings.stalled_seconds
    )
    for job in stalled:
        log.warning("retrying a stalled job", task=job.task_name, job_id=job.id)
        await app.job_manager.retry_job(job)
    return len(list(stalled))


RECOVERY_LOCK = "jobs-retry-stalled"


async def _recover_forever(
    ctx: ServiceContext, app: procrastinate.App, settings: JobSettings
) -> None:
    """Every worker runs this loop; the advisory lock lets one of them recover at a time."""
    while True:
        try:
            async with locks.held(ctx.db, RECOVERY_LOCK) as mine:
                if mine:
                    await retry_stalled(app, settings)
        except Exception as exc:  # retried on the next round
            log.warning("stalled-job recovery failed", error=repr(exc))
        await asyncio.sleep(max(settings.stalled_seconds / 2, 0.5))


def _worker_options(settings: JobSettings) -> dict[str, Any]:
    return {
        "concurrency": settings.concurrency,
        "update_heartbeat_interval": settings.heartbeat_seconds,
        "stalled_worker_timeout": settings.stalled_seconds,
        "fetch_job_polling_interval": settings.poll_seconds,
    }


async def run_forever(
    ctx: ServiceContext, settings: JobSettings, *, install_signal_handlers: bool = True
) -> None:
    """Work until stopped (SIGINT/SIGTERM when the handlers are installed, or cancellation)."""
    app = build_app(ctx, settings, with_schedules=True)
    async with app.open_async():
        recovery = asyncio.create_task(_recover_forever(ctx, app, settings))
        try:
            await app.run_worker_async(
                wait=True,
                install_signal_handlers=install_signal_handlers,
                **_worker_options(settings),
            )
        finally:
            recovery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await recovery


async def run_until_empty(ctx: ServiceContext, settings: JobSettings | None = None) -> None:
    """Run every due job (and any stalled one), then return."""
    settings = settings or JobSettings()
    app = build_app(ctx, settings)
    async with app.open_async():
        await retry_stalled(app, settings)
        await app.run_worker_async(
            wait=False,
            install_signal_handlers=False,
            listen_notify=False,
            **_worker_options(settings),
        )

"""What jobs add to a running app: an in-process worker (SQLite by default), and `drain`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from app.core.context import ServiceContext
from app.jobs import local, pg
from app.jobs.settings import JobSettings


def runs_in_process(ctx: ServiceContext, settings: JobSettings) -> bool:
    return settings.in_process if settings.in_process is not None else not ctx.db.is_postgres


async def run_worker(
    ctx: ServiceContext, settings: JobSettings, *, install_signal_handlers: bool = True
) -> None:
    """The worker of this database's queue, until stopped."""
    if ctx.db.is_postgres:
        await pg.run_forever(ctx, settings, install_signal_handlers=install_signal_handlers)
    else:
        await local.run_forever(ctx, settings)


async def drain(ctx: ServiceContext, settings: JobSettings | None = None) -> None:
    """Run every job that is due now, on either database, then return."""
    if ctx.db.is_postgres:
        await pg.run_until_empty(ctx, settings)
    else:
        await local.run_until_empty(ctx, settings)


def install(app: FastAPI, settings: JobSettings | None = None) -> None:
    """Run a worker inside the app's lifespan when `ROSTRA_JOBS_IN_PROCESS` says so."""
    job_settings = settings or JobSettings()
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[Any]:
        async with inner(application) as state:
            ctx: ServiceContext = application.state.ctx
            task = None
            if runs_in_process(ctx, job_settings):
                task = asyncio.create_task(
                    run_worker(ctx, job_settings, install_signal_handlers=False)
                )
            try:
                yield state
            finally:
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    app.router.lifespan_context = lifespan

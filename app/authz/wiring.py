"""What the authz domain adds to a running app: the background audit sealer."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.authz.sealing import seal_round
from app.core.context import ServiceContext
from app.core.logging import log


class SealerSettings(BaseSettings):
    """`ROSTRA_AUDIT_SEALER=false` turns the background sealer off (then `rostra audit seal`)."""

    model_config = SettingsConfigDict(env_prefix="ROSTRA_AUDIT_", env_file=".env", extra="ignore")

    sealer: bool = True
    seal_every_seconds: float = 2.0


async def run_sealer(ctx: ServiceContext, every: float) -> None:
    """Seal every school's new entries every `every` seconds until cancelled.

    Every API worker runs this loop; the sealer lock lets one of them seal at a time.
    """
    while True:
        try:
            await seal_round(ctx.db)  # skipped while another process seals
        except Exception as exc:  # a failed round is retried on the next one
            log.warning("audit sealer round failed", error=repr(exc))
        await asyncio.sleep(every)


def install(app: FastAPI, sealer: SealerSettings | None = None) -> None:
    """Run the sealer inside the app's lifespan."""
    settings = sealer or SealerSettings()
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[Any]:
        async with inner(application) as state:
            task = None
            if settings.sealer:
                task = asyncio.create_task(
                    run_sealer(application.state.ctx, settings.seal_every_seconds)
                )
            try:
                yield state
            finally:
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    app.router.lifespan_context = lifespan

"""The daily retention sweep as a job (`rostra worker`; in-process under SQLite)."""

from __future__ import annotations

from typing import Any

from app.core import locks
from app.core.context import ServiceContext
from app.core.db import Database
from app.core.logging import log
from app.jobs.registry import job, periodic
from app.retention.batches import BATCH
from app.retention.service import SWEEP_LOCK, sweep_all

SWEEP_JOB = "retention.sweep"
DAILY_AT = "30 19 * * *"  # 03:30 in China (UTC+8): after the school day, before the next


@job(SWEEP_JOB)
async def daily_sweep(ctx: ServiceContext, args: dict[str, Any]) -> None:
    """Every school, then the platform. Idempotent: each batch commits on its own, so a
    killed run leaves whole batches done and the next run takes what is still expired."""
    settings = ctx.settings
    # As the owner: the platform's login-state tables answer the app role one number at a time.
    db = Database(settings, settings.owner_database_url)
    try:
        async with locks.held(db, SWEEP_LOCK) as mine:
            if not mine:  # a sweep run by the command (or a retried job) is at work
                log.info("retention sweep skipped: another process is sweeping")
                return
            reports = await sweep_all(
                db, settings, None, None, dry_run=False, batch_size=BATCH, trigger="job"
            )
    finally:
        await db.dispose()
    for report in reports:
        log.info("retention sweep", school=report.school, counts=report.counts())


periodic(SWEEP_JOB, DAILY_AT)

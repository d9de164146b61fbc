"""The SQLite queue's worker: polls `queued_job`, runs one job at a time, retries with backoff.

A job stays 'doing' while its worker refreshes `locked_at`; one left 'doing' by a killed
worker is taken back after `stalled_seconds` and runs again (handlers are idempotent).
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import col

from app.core import clock
from app.core.context import ServiceContext
from app.core.logging import log
from app.jobs.models import QueuedJob
from app.jobs.registry import handler, schedules
from app.jobs.settings import JobSettings

_JOB = QueuedJob.__table__  # type: ignore[attr-defined]


async def recover_stalled(ctx: ServiceContext, stalled_seconds: float) -> int:
    """Jobs whose worker stopped refreshing them go back to the queue."""
    limit = clock.now() - timedelta(seconds=stalled_seconds)
    async with ctx.db.session() as session:
        result = await session.execute(
            update(_JOB)
            .where(_JOB.c.status == "doing", _JOB.c.locked_at < limit)
            .values(status="todo", locked_at=None)
        )
    return int(getattr(result, "rowcount", 0) or 0)


async def claim(ctx: ServiceContext) -> QueuedJob | None:
    """The oldest due job, marked 'doing' in one statement (two workers never share one)."""
    now = clock.now()
    oldest = (
        select(_JOB.c.id)
        .where(_JOB.c.status == "todo", _JOB.c.run_after <= now)
        .order_by(_JOB.c.id)
        .limit(1)
        .scalar_subquery()
    )
    async with ctx.db.session() as session:
        row = (
            await session.execute(
                update(_JOB)
                .where(_JOB.c.id == oldest, _JOB.c.status == "todo")
                .values(status="doing", locked_at=now, attempts=_JOB.c.attempts + 1)
                .returning(*_JOB.c)
            )
        ).first()
    return QueuedJob.model_validate(dict(row._mapping)) if row is not None else None


async def _heartbeat(ctx: ServiceContext, job: QueuedJob, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        async with ctx.db.session() as session:
            await session.execute(
                update(_JOB).where(_JOB.c.id == job.id).values(locked_at=clock.now())
            )


async def _finish(
    ctx: ServiceContext, job: QueuedJob, error: BaseException | None, *, max_attempts: int
) -> None:
    values: dict[str, object] = {"locked_at": None}
    if error is None:
        values.update(status="succeeded", finished_at=clock.now(), last_error=None)
    elif job.attempts >= max_attempts:
        values.update(status="failed", finished_at=clock.now(), last_error=repr(error)[:2000])
    else:
        backoff = timedelta(seconds=min(2**job.attempts, 300))
        values.update(status="todo", run_after=clock.now() + backoff, last_error=repr(error)[:2000])
    async with ctx.db.session() as session:
        await session.execute(update(_JOB).where(col(QueuedJob.id) == job.id).values(values))


async def run_one(ctx: ServiceContext, job: QueuedJob, settings: JobSettings) -> None:
    beat = asyncio.create_task(_heartbeat(ctx, job, settings.heartbeat_seconds))
    error: BaseException | None = None
    try:
        await handler(job.task_name)(ctx, dict(job.args))
    except Exception as exc:  # the job is retried with backoff, then marked failed
        log.warning("job failed", task=job.task_name, job_id=str(job.id), error=repr(exc))
        error = exc
    finally:
        beat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beat
    await _finish(ctx, job, error, max_attempts=settings.max_attempts)


async def run_until_empty(ctx: ServiceContext, settings: JobSettings | None = None) -> int:
    """Run every due job, then return how many ran (tests, `rostra worker --once`)."""
    settings = settings or JobSettings()
    await recover_stalled(ctx, settings.stalled_seconds)
    ran = 0
    while (job := await claim(ctx)) is not None:
        await run_one(ctx, job, settings)
        ran += 1
    return ran


def last_tick(cron: str, now: datetime) -> datetime:
    """The latest time at or before `now` that a daily cron (`M H * * *`, UTC) names."""
    minute, hour, *rest = cron.split()
    if rest != ["*", "*", "*"]:
        raise ValueError(f"the SQLite worker runs only daily schedules, not {cron!r}")
    tick = now.replace(hour=int(hour), minute=int(minute), second=0, microsecond=0)
    return tick if tick <= now else tick - timedelta(days=1)


async def queue_due_schedules(ctx: ServiceContext) -> int:
    """Queue each scheduled job whose latest tick has no job yet; how many were queued."""
    queued = 0
    now = clock.now()
    for name, cron in schedules().items():
        tick = last_tick(cron, now)
        async with ctx.db.session() as session:
            seen = await session.execute(
                select(_JOB.c.id)
                .where(_JOB.c.task_name == name, _JOB.c.created_at >= tick)
                .limit(1)
            )
            if seen.first() is None:
                session.add(QueuedJob(task_name=name, args={"timestamp": int(tick.timestamp())}))
                queued += 1
    return queued


async def run_forever(ctx: ServiceContext, settings: JobSettings) -> None:
    """Poll the queue until cancelled (queueing the scheduled jobs as their time comes)."""
    while True:
        try:
            await queue_due_schedules(ctx)
            await run_until_empty(ctx, settings)
        except Exception as exc:  # a failed round (database busy) is retried on the next one
            log.warning("job worker round failed", error=repr(exc))
        await asyncio.sleep(settings.poll_seconds)

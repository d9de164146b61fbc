"""The job runner sweeps daily: the handler is registered with a daily schedule, the SQLite
worker queues it once per day, and the queued job sweeps every school (RET-4)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from app.classroom.models import ClassroomEvent
from app.core import clock
from app.jobs.local import last_tick, queue_due_schedules, run_until_empty
from app.jobs.models import QueuedJob
from app.jobs.registry import handlers, schedules
from app.retention.models import RetentionRun
from app.retention.tasks import SWEEP_JOB
from tests.retention.world import rows


def test_the_sweep_is_scheduled_daily():
    assert SWEEP_JOB in handlers()
    assert schedules()[SWEEP_JOB] == "30 19 * * *"
    now = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    assert last_tick("30 19 * * *", now) == datetime(2026, 12, 3, 19, 30, tzinfo=UTC)


async def test_ret4_the_daily_job_is_queued_once_a_day_and_sweeps_every_school(owner, world):
    assert await queue_due_schedules(owner) == 1
    assert await queue_due_schedules(owner) == 0  # the same day: already queued
    await run_until_empty(owner)
    for school in world.values():
        assert await rows(owner, ClassroomEvent, school.tenant.id) == school.events["recent"]
        assert await rows(owner, RetentionRun, school.tenant.id) == 1
    clock.advance(86400)
    assert await queue_due_schedules(owner) == 1
    async with owner.db.session() as session:
        jobs = await session.execute(
            select(func.count()).select_from(QueuedJob).where(QueuedJob.task_name == SWEEP_JOB)
        )
    assert jobs.scalar_one() == 2

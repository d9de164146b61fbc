"""How full the job queue is: waiting jobs and the oldest one's wait (for /metrics)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core import clock
from app.core.db import is_postgres
from app.core.metrics import QueueFigures
from app.jobs.models import QueuedJob

# procrastinate keeps when a job was deferred in its events table, not on the job.
_PG_WAITING = text(
    "SELECT count(*) AS depth, min(deferred.at) AS oldest FROM procrastinate_jobs AS job "
    "LEFT JOIN procrastinate_events AS deferred "
    "ON deferred.job_id = job.id AND deferred.type = 'deferred' "
    "WHERE job.status = 'todo'"
)


async def waiting_jobs(session: AsyncSession) -> QueueFigures:
    if is_postgres(session):
        row = (await session.execute(_PG_WAITING)).one()
        depth, oldest = int(row.depth), row.oldest
    else:
        query = select(func.count(), func.min(col(QueuedJob.created_at))).where(
            col(QueuedJob.status) == "todo"
        )
        depth, oldest = (await session.execute(query)).one()
    return QueueFigures(int(depth or 0), _age(oldest))


def _age(since: datetime | str | None) -> float:
    if since is None:
        return 0.0
    if isinstance(since, str):  # SQLite's min() of a stored timestamp comes back as text
        since = datetime.fromisoformat(since)
    if since.tzinfo is None:
        from datetime import UTC

        since = since.replace(tzinfo=UTC)
    return max(0.0, (clock.now() - since).total_seconds())

"""Enqueue a job inside the caller's transaction: it exists exactly when the change commits."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import is_postgres
from app.jobs.models import QueuedJob

QUEUE = "default"

# procrastinate's own defer function, called on the request's connection (asyncpg) rather
# than through its connector (psycopg), so the job commits or rolls back with the request.
_DEFER = text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW("
    "CAST(:queue AS varchar), CAST(:task AS varchar), 0, CAST(:lock AS text), "
    "CAST(:queueing_lock AS text), CAST(:args AS jsonb), CAST(:run_after AS timestamptz)"
    ")::procrastinate_job_to_defer_v1])) AS id"
)


async def enqueue(
    session: AsyncSession,
    task_name: str,
    args: dict[str, Any],
    *,
    lock: str | None = None,
    queueing_lock: str | None = None,
    run_after: datetime | None = None,
) -> str:
    """Add a job to the queue in `session`'s transaction; returns its id (as text)."""
    if is_postgres(session):
        result = await session.execute(
            _DEFER,
            {
                "queue": QUEUE,
                "task": task_name,
                "lock": lock,
                "queueing_lock": queueing_lock,
                "args": json.dumps(args),
                "run_after": run_after,
            },
        )
        return str(result.scalar_one())
    row = QueuedJob(task_name=task_name, args=args, lock=lock)
    if run_after is not None:
        row.run_after = run_after
    session.add(row)
    await session.flush()
    return str(row.id)

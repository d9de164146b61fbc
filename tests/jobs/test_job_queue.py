"""The job runner on both databases: a job exists exactly when its transaction commits, runs
once, and a failing job is retried, then given up on."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import text

from app.core.context import ServiceContext
from app.jobs.queue import enqueue
from app.jobs.registry import job
from app.jobs.settings import JobSettings
from app.jobs.wiring import drain

FAST = JobSettings(max_attempts=2, poll_seconds=0.05, heartbeat_seconds=0.2)
_failures: dict[str, int] = {}


@job("tests.append_line")
async def append_line(ctx: ServiceContext, args: dict[str, Any]) -> None:
    with Path(args["path"]).open("a") as out:  # noqa: ASYNC230
        out.write(args["line"] + "\n")


@job("tests.fail_once")
async def fail_once(ctx: ServiceContext, args: dict[str, Any]) -> None:
    seen = _failures.get(args["key"], 0)
    _failures[args["key"]] = seen + 1
    if seen < int(args["fail_times"]):
        raise RuntimeError("transient failure")
    with Path(args["path"]).open("a") as out:  # noqa: ASYNC230
        out.write("done\n")


async def test_a_committed_job_runs_once_and_a_rolled_back_one_never(
    owner: ServiceContext, tmp_path: Path
) -> None:
    out = tmp_path / "out.txt"
    async with owner.db.session() as session:
        await enqueue(session, "tests.append_line", {"path": str(out), "line": "kept"})
    try:
        async with owner.db.session() as session:
            await enqueue(session, "tests.append_line", {"path": str(out), "line": "lost"})
            raise RuntimeError("the change that needed the job failed")
    except RuntimeError:
        pass
    await drain(owner, FAST)
    await drain(owner, FAST)  # nothing left: running again does nothing
    assert out.read_text().splitlines() == ["kept"]


async def test_a_failing_job_is_retried_then_succeeds(
    owner: ServiceContext, tmp_path: Path
) -> None:
    out, key = tmp_path / "out.txt", uuid.uuid4().hex
    async with owner.db.session() as session:
        await enqueue(session, "tests.fail_once", {"path": str(out), "key": key, "fail_times": "1"})
    three = FAST.model_copy(update={"max_attempts": 3})
    await drain(owner, three)
    await _run_retries(owner, three)
    assert _failures[key] == 2
    assert out.read_text().splitlines() == ["done"]


async def test_a_job_that_keeps_failing_is_given_up_after_max_attempts(
    owner: ServiceContext, tmp_path: Path
) -> None:
    out, key = tmp_path / "out.txt", uuid.uuid4().hex
    async with owner.db.session() as session:
        await enqueue(
            session, "tests.fail_once", {"path": str(out), "key": key, "fail_times": "99"}
        )
    await drain(owner, FAST)
    await _run_retries(owner, FAST)
    await _run_retries(owner, FAST)
    assert _failures[key] == FAST.max_attempts
    assert not out.exists()
    assert await _statuses(owner) == ["failed"]


async def _run_retries(ctx: ServiceContext, settings: JobSettings) -> None:
    """Make a retry that waits for its backoff due now, then run the queue again."""
    async with ctx.db.session() as session:
        if ctx.db.is_postgres:
            await session.execute(
                text("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE status = 'todo'")
            )
        else:
            await session.execute(
                text(
                    "UPDATE queued_job SET run_after = '2000-01-01 00:00:00' WHERE status = 'todo'"
                )
            )
    await drain(ctx, settings)


async def _statuses(ctx: ServiceContext) -> list[str]:
    table = "procrastinate_jobs" if ctx.db.is_postgres else "queued_job"
    async with ctx.db.session() as session:
        rows = await session.execute(text(f"SELECT status FROM {table}"))
        return [str(r[0]) for r in rows]

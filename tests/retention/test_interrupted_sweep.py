"""A real `rostra retention sweep` killed with -9 half-way, then run again: every expired row
is removed, each exactly once (one deletion log entry, one count across the two runs), and
the first run shows as interrupted (RET-4; PostgreSQL, where the sweep runs in production)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy import insert, select

from app.classroom.models import ClassroomEvent
from app.core import clock
from app.core.config import ROOT
from app.core.db import set_tenant
from app.retention.models import DeletionLog, RetentionRun
from tests.conftest import postgres_only
from tests.retention.world import OLD_DAYS, event_rows, rows

EXTRA = 30_000
BATCH = 400


def _sweep(settings) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "ROSTRA_DATABASE_URL": settings.owner_database_url,
        "ROSTRA_SECRET_KEY": settings.secret_key,
        "ROSTRA_VAR_DIR": str(settings.var_dir),
        "ROSTRA_OBJECT_STORE_DIR": str(settings.object_store_dir),
    }
    args = ["retention", "sweep", "--school", "demo-north", "--batch-size", str(BATCH)]
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


async def _logged(owner) -> tuple[int, int]:
    """(event rows the deletion log names, distinct ids among them)."""
    async with owner.db.session() as session:
        entries = (
            await session.execute(
                select(DeletionLog.keys).where(DeletionLog.table_name == "classroom_event")
            )
        ).scalars()
        ids = [i for keys in entries for i in keys["id"]]
    return len(ids), len(set(ids))


@postgres_only
async def test_ret4_a_sweep_killed_half_way_finishes_exactly_once(settings, owner, world):
    north = world["demo-north"]
    old = clock.now() - timedelta(days=OLD_DAYS)
    async with owner.db.session() as session:
        await set_tenant(session, north.tenant.id)
        extra = event_rows(north.tenant.id, north.lesson, north.students, old, EXTRA)
        await session.execute(insert(ClassroomEvent.__table__), extra)  # type: ignore[attr-defined]
    expired = EXTRA + north.events["old"]

    first = _sweep(settings)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if (await _logged(owner))[0] >= 3 * BATCH:  # a few batches committed: kill it now
            break
        await asyncio.sleep(0.05)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(10)
    killed_at, _ = await _logged(owner)
    assert 0 < killed_at < expired, "the kill did not land half-way"
    left = await rows(owner, ClassroomEvent, north.tenant.id)
    assert left == expired + north.events["recent"] - killed_at  # whole batches, nothing torn

    second = _sweep(settings)
    _, err = second.communicate(timeout=600)
    assert second.returncode == 0, err
    assert await rows(owner, ClassroomEvent, north.tenant.id) == north.events["recent"]
    total, distinct = await _logged(owner)
    assert total == distinct == expired
    async with owner.db.session() as session:
        await set_tenant(session, north.tenant.id)
        runs = (
            (await session.execute(select(RetentionRun).order_by(RetentionRun.started_at)))
            .scalars()
            .all()
        )
    assert [r.status for r in runs] == ["interrupted", "finished"]
    counted = sum(
        table.get("deleted", 0)
        for run in runs
        for category in run.counts.values()
        for name, table in category.items()
        if name == "classroom_event"
    )
    assert counted == expired

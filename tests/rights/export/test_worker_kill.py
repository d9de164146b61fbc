"""A real `rostra worker` killed with -9 in the middle of an export, then restarted: the
export finishes exactly once (one zip, one audit entry per school), nothing lost (#13)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app.core.config import ROOT, Settings
from app.core.context import ServiceContext
from app.core.db import set_tenant
from tests.classroom.conftest import STUDENT, World
from tests.conftest import postgres_only
from tests.rights.export.world import fill, unzip


def _worker(settings: Settings, pause: float) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ROSTRA_ENV": "test",
        "ROSTRA_DATABASE_URL": settings.database_url,
        "ROSTRA_SECRET_KEY": settings.secret_key,
        "ROSTRA_VAR_DIR": str(settings.var_dir),
        "ROSTRA_OBJECT_STORE_DIR": str(settings.object_store_dir),
        "ROSTRA_LOG_JSON": "false",
        "ROSTRA_EXPORT_PAUSE_SECONDS": str(pause),
        "ROSTRA_JOBS_STALLED_SECONDS": "2",
        "ROSTRA_JOBS_HEARTBEAT_SECONDS": "0.5",
        "ROSTRA_JOBS_POLL_SECONDS": "0.2",
    }
    return subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "rostra"), "worker"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


async def _export_row(owner: ServiceContext, export_id: str) -> dict[str, Any]:
    async with owner.db.session() as session:
        row = (
            await session.execute(
                text("SELECT status, attempts FROM access_export WHERE id = :id"),
                {"id": uuid.UUID(export_id)},
            )
        ).one()
        job = (
            # Only the export's job: a long-running worker also defers the daily sweep (#17).
            await session.execute(
                text(
                    "SELECT status::text, attempts FROM procrastinate_jobs "
                    "WHERE task_name = 'rights.access_export'"
                )
            )
        ).one()
    return {"status": row[0], "attempts": row[1], "job": job[0], "job_attempts": job[1]}


async def _wait_for(owner: ServiceContext, export_id: str, status: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (await _export_row(owner, export_id))["status"] == status:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the export never became {status}: {await _export_row(owner, export_id)}")


def _stop(process: subprocess.Popen[bytes], sig: int) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        process.wait(20)


async def _exported_entries(owner: ServiceContext, world: World) -> dict[str, int]:
    counts = {}
    for school in (world.north, world.south):
        async with owner.db.session() as session:
            await set_tenant(session, school.id)
            counts[school.slug] = (
                await session.execute(
                    text(
                        "SELECT count(*) FROM auditentry WHERE tenant_id = :t"
                        " AND action = 'export' AND record_kind = 'rights_request'"
                    ),
                    {"t": school.id},
                )
            ).scalar_one()
    return counts


@pytest.mark.slow
@postgres_only
async def test_worker_killed_mid_export_finishes_it_exactly_once_after_restart(
    client: httpx.AsyncClient, owner: ServiceContext, settings: Settings, world: World, login: Any
) -> None:
    await fill(client, owner, world, login)
    student = await login(STUDENT)
    started = await client.post("/v1/me/exports", headers=student)
    assert started.status_code == 202
    export_id = str(started.json()["id"])

    first = _worker(settings, pause=0.5)  # ~7 s for the whole export: time to kill it
    try:
        await _wait_for(owner, export_id, "running", 30)
        await asyncio.sleep(1.5)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        _stop(first, signal.SIGKILL)
    killed = await _export_row(owner, export_id)
    assert killed["status"] == "running" and killed["job"] == "doing"
    assert await _exported_entries(owner, world) == {"demo-north": 0, "demo-south": 0}

    second = _worker(settings, pause=0)
    try:
        await _wait_for(owner, export_id, "ready", 60)
        await asyncio.sleep(1)  # the job's own 'succeeded' is written just after
    finally:
        _stop(second, signal.SIGTERM)
    done = await _export_row(owner, export_id)
    assert done["attempts"] == 2  # the killed run and the one that finished
    assert done["job"] == "succeeded"
    assert await _exported_entries(owner, world) == {"demo-north": 1, "demo-south": 1}
    zips = list(Path(settings.object_store_dir, "exports").rglob("*.zip"))  # noqa: ASYNC240
    assert [z.name for z in zips] == [f"{export_id}.zip"]
    download = await client.get(f"/v1/me/exports/{export_id}/download", headers=student)
    assert download.status_code == 200
    assert "attendance.csv" in unzip(download.content)

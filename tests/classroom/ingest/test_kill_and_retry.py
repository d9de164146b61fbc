"""The real server killed (-9) in the middle of a stream of batches, restarted, and the client
retrying everything: exactly the events sent are stored, none lost or doubled."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.classroom.models import ClassroomEvent, LessonRollup
from app.core.config import ROOT
from app.core.db import set_tenant
from tests.classroom.conftest import CLASSMATE, STUDENT, TEACHER, bearer, event

BATCHES, PER_BATCH = 24, 100


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(settings: Any, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ROSTRA_ENV": "test",
        "ROSTRA_DATABASE_URL": settings.database_url,
        "ROSTRA_MIGRATE_DATABASE_URL": settings.owner_database_url,
        "ROSTRA_SECRET_KEY": settings.secret_key,
        "ROSTRA_VAR_DIR": str(settings.var_dir),
        "ROSTRA_OBJECT_STORE_DIR": str(settings.object_store_dir),
        "ROSTRA_LOG_JSON": "false",
    }
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "rostra"), "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120  # a busy shared machine can take a minute to import
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200:
                return process
        time.sleep(0.1)
    process.kill()
    raise AssertionError("the server did not start")


def _batches(world) -> list[list[dict[str, Any]]]:
    kinds = [
        ("attendance.joined", {}),
        ("behaviour.hand_raised", {}),
        ("behaviour.spoke", {"duration_ms": 1000}),
        ("tool.answerer", {"question": "q", "choice": "A", "correct": True}),
        ("attendance.left", {"reason": "network_lost"}),
    ]
    people = [STUDENT, CLASSMATE, TEACHER]
    out = []
    for b in range(BATCHES):
        batch = []
        for i in range(PER_BATCH):
            n = b * PER_BATCH + i
            kind, fields = kinds[n % len(kinds)]
            who = people[(n // len(kinds)) % len(people)]
            batch.append(event(world, kind, n / 200, who=who, cid=f"kill-{n}", **fields))
        out.append(batch)
    return out


@pytest.mark.slow
async def test_killed_server_and_full_retry_store_each_event_once(settings, owner, world):
    batches = _batches(world)
    port = _port()
    server = _start(settings, port)
    answered = 0
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            for batch in batches[: BATCHES // 2]:
                response = await client.post(
                    "/v1/ingest/events", json={"events": batch}, headers=bearer(world.key)
                )
                assert response.status_code == 202, response.text
                answered += 1
            # Kill -9 while the next batches are in flight.
            in_flight = [
                asyncio.create_task(
                    client.post(
                        "/v1/ingest/events", json={"events": batch}, headers=bearer(world.key)
                    )
                )
                for batch in batches[BATCHES // 2 : BATCHES // 2 + 3]
            ]
            await asyncio.sleep(0.01)
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)
            await asyncio.gather(*in_flight, return_exceptions=True)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)

    server = _start(settings, port)
    totals = {"accepted": 0, "duplicates": 0, "dropped": 0}
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            for batch in batches:  # the client retries everything it sent
                response = await client.post(
                    "/v1/ingest/events", json={"events": batch}, headers=bearer(world.key)
                )
                assert response.status_code == 202, response.text
                for name, value in response.json().items():
                    totals[name] += value
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(10)

    sent = BATCHES * PER_BATCH
    assert totals["accepted"] + totals["duplicates"] == sent
    assert totals["duplicates"] >= answered * PER_BATCH
    async with owner.db.session() as session:
        await set_tenant(session, world.north.id)
        stored = (
            await session.execute(select(func.count()).select_from(ClassroomEvent))
        ).scalar_one()
        distinct = (
            await session.execute(select(func.count(func.distinct(ClassroomEvent.client_id))))
        ).scalar_one()
        hand_raises = (
            await session.execute(select(func.sum(LessonRollup.hand_raises)))
        ).scalar_one()
    assert stored == distinct == sent
    assert hand_raises == sent // 5  # the rollups count every event exactly once too

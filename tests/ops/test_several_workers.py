"""Two API processes and a job worker on one PostgreSQL do once what must happen once (#18):
one sealed audit chain per school (SEC-7), code and password tries counted once across
processes (ACC-6, ACC-5), a batch sent to both processes stored once, an export job run
once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text

from app.classroom.models import ClassroomEvent, LessonRollup
from app.core.context import ServiceContext
from app.core.db import set_tenant
from bench.procs import Proc, environment_of, run, server, stop_all, worker
from tests.classroom.conftest import (
    CLASSMATE,
    NORTH_ADMIN,
    STUDENT,
    TEACHER,
    World,
    bearer,
    event,
)
from tests.conftest import latest_code, postgres_only

NORTH = "/v1/tenants/demo-north"
NEW_PHONE, OTHER_PHONE, PASSWORD_PHONE = "+8613700000041", "+8613700000042", "+8613700000043"
GOOD = "correct horse battery staple"


def _env(settings: Any) -> dict[str, str]:
    return environment_of(
        settings,
        audit_seal_every_seconds="0.2",
        jobs_poll_seconds="0.2",
        jobs_heartbeat_seconds="0.5",
        password_time_cost="1",  # cheap argon2: the test is about counting, not hashing
        password_memory_kib="64",
        password_parallelism="1",
    )


async def _tries_are_counted_once(a: httpx.AsyncClient, b: httpx.AsyncClient, owner) -> None:
    sent = await a.post("/v1/auth/otp", json={"phone": NEW_PHONE})
    assert sent.status_code == 202, sent.text
    again = await b.post("/v1/auth/otp", json={"phone": NEW_PHONE})
    assert again.status_code == 429, again.text  # the resend limit is the database's, not A's
    code = await latest_code(owner, NEW_PHONE)
    wrong = "000000" if code != "000000" else "111111"
    answers = await asyncio.gather(  # eight wrong tries at once, four on each process
        *(
            c.post("/v1/auth/token", json={"phone": NEW_PHONE, "code": wrong})
            for _ in range(4)
            for c in (a, b)
        )
    )
    assert {r.status_code for r in answers} == {401}
    right = await b.post("/v1/auth/token", json={"phone": NEW_PHONE, "code": code})
    assert right.status_code == 401, right.text  # five tries in all, split over both: locked
    async with owner.db.session() as session:
        attempts = (await session.execute(text("SELECT max(attempts) FROM otpcode"))).scalar()
    assert attempts == 5

    sent = await b.post("/v1/auth/otp", json={"phone": OTHER_PHONE})
    assert sent.status_code == 202, sent.text
    code = await latest_code(owner, OTHER_PHONE)
    both = await asyncio.gather(
        *(c.post("/v1/auth/token", json={"phone": OTHER_PHONE, "code": code}) for c in (a, b))
    )
    assert sorted(r.status_code for r in both) == [200, 401]  # a code signs in once


async def _password_tries_are_counted_once(
    a: httpx.AsyncClient, b: httpx.AsyncClient, owner: ServiceContext
) -> None:
    sent = await a.post("/v1/auth/otp", json={"phone": PASSWORD_PHONE})
    assert sent.status_code == 202, sent.text
    code = await latest_code(owner, PASSWORD_PHONE)
    pair = await a.post("/v1/auth/token", json={"phone": PASSWORD_PHONE, "code": code})
    assert pair.status_code == 200, pair.text
    bearer_ = {"Authorization": f"Bearer {pair.json()['access_token']}"}
    put = await b.put("/v1/me/password", json={"password": GOOD}, headers=bearer_)
    assert put.status_code == 204, put.text
    answers = await asyncio.gather(  # eight wrong passwords at once, four on each process
        *(
            c.post("/v1/auth/password", json={"phone": PASSWORD_PHONE, "password": f"wrong {n}"})
            for n in range(4)
            for c in (a, b)
        )
    )
    assert sorted(r.status_code for r in answers) == [401] * 5 + [429] * 3
    right = await a.post("/v1/auth/password", json={"phone": PASSWORD_PHONE, "password": GOOD})
    assert right.status_code == 429, right.text  # locked out, whichever process answers


async def _each_event_is_stored_once(
    a: httpx.AsyncClient, b: httpx.AsyncClient, owner: ServiceContext, world: World
) -> None:
    people, batches = [STUDENT, CLASSMATE, TEACHER], []
    for n in range(6):
        batches.append(
            [
                event(world, "behaviour.hand_raised", (n * 50 + i) / 60, who=people[i % 3],
                      cid=f"both-{n}-{i}")
                for i in range(50)
            ]
        )  # fmt: skip
    sends = [
        c.post("/v1/ingest/events", json={"events": batch}, headers=bearer(world.key))
        for batch in batches
        for c in (a, b)
    ]
    answers = await asyncio.gather(*sends)  # every batch to both processes at once
    assert {r.status_code for r in answers} == {202}, [r.text for r in answers]
    accepted = sum(r.json()["accepted"] for r in answers)
    duplicates = sum(r.json()["duplicates"] for r in answers)
    assert (accepted, duplicates) == (300, 300)
    async with owner.db.session() as session:
        await set_tenant(session, world.north.id)
        stored = (
            await session.execute(select(func.count()).select_from(ClassroomEvent))
        ).scalar_one()
        raised = (await session.execute(select(func.sum(LessonRollup.hand_raises)))).scalar_one()
    assert stored == raised == 300  # the rollups counted each event once too


async def _reads_and_an_export(
    a: httpx.AsyncClient, b: httpx.AsyncClient, world: World, login: Any
) -> None:
    admin, teacher, student = await login(NORTH_ADMIN), await login(TEACHER), await login(STUDENT)
    reads = [
        (f"{NORTH}/members?limit=50", admin),
        (f"{NORTH}/lessons/{world.lesson}/rollups", teacher),
        (f"{NORTH}/analytics/lessons/{world.lesson}", teacher),
    ]
    answers = await asyncio.gather(*(c.get(url, headers=h) for url, h in reads * 5 for c in (a, b)))
    assert {r.status_code for r in answers} == {200}, [r.text for r in answers]
    started = await a.post("/v1/me/exports", headers=student)
    assert started.status_code == 202, started.text
    export_id = started.json()["id"]
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        status = (await b.get(f"/v1/me/exports/{export_id}", headers=student)).json()["status"]
        if status == "ready":
            break
        await asyncio.sleep(0.2)
    assert status == "ready"


async def _wait_until_sealed(owner: ServiceContext, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        async with owner.db.session() as session:
            waiting = await session.execute(
                text("SELECT count(*) FROM auditentry WHERE seq IS NULL")
            )
            if waiting.scalar_one() == 0:
                return
        await asyncio.sleep(0.2)
    raise AssertionError("the background sealers left entries unsealed")


async def _chains(owner: ServiceContext) -> dict[str, tuple[int, int, int, int]]:
    """Per school: entries, distinct positions, lowest and highest position."""
    async with owner.db.session() as session:
        rows = await session.execute(
            text(
                "SELECT t.slug, count(*), count(DISTINCT e.seq), min(e.seq), max(e.seq) "
                "FROM auditentry e JOIN tenant t ON t.id = e.tenant_id GROUP BY t.slug"
            )
        )
        return {slug: (n, distinct, low, high) for slug, n, distinct, low, high in rows.all()}


@pytest.fixture
def procs(settings: Any) -> Iterator[list[Proc]]:
    """Two API processes and a job worker, started before the world is built (they import
    meanwhile); the first to need the development signing key makes it for all."""
    env = _env(settings)
    started = [server("api-a", env).start(), server("api-b", env).start(), worker("jobs", env)]
    started[2].start()
    yield started
    stop_all(started)


@pytest.mark.slow
@postgres_only
async def test_two_api_processes_and_a_job_worker_do_once_what_must_happen_once(
    database, settings, procs, owner, world, login
):
    env = _env(settings)
    for proc in procs:
        proc.wait_ready()
    try:
        async with (
            httpx.AsyncClient(base_url=procs[0].url, timeout=30) as a,
            httpx.AsyncClient(base_url=procs[1].url, timeout=30) as b,
        ):
            await _tries_are_counted_once(a, b, owner)
            await _password_tries_are_counted_once(a, b, owner)
            await _each_event_is_stored_once(a, b, owner, world)
            await _reads_and_an_export(a, b, world, login)
        await _wait_until_sealed(owner)
    finally:
        stop_all(procs)
    async with owner.db.session() as session:
        job = (  # the export's job (the worker may also have deferred the daily sweep)
            await session.execute(
                text(
                    "SELECT status::text, attempts FROM procrastinate_jobs "
                    "WHERE task_name = 'rights.access_export'"
                )
            )
        ).one()
        export = (await session.execute(text("SELECT status, attempts FROM access_export"))).one()
    assert tuple(job) == ("succeeded", 1) and tuple(export) == ("ready", 1)  # the export ran once
    chains = await _chains(owner)
    assert chains["demo-north"][0] > 30  # the reads of both processes were audited
    for slug, (entries, distinct, low, high) in chains.items():
        assert entries == distinct and (low, high) == (1, entries), slug  # one chain, no gap
    verified = await asyncio.gather(
        *(asyncio.to_thread(run, ["audit", "verify", slug], env) for slug in chains)
    )
    assert all(code == 0 for code, _ in verified), verified


@pytest.mark.slow
@postgres_only
async def test_with_the_api_sealer_off_the_job_worker_seals_the_chain(
    database, settings, owner, world, login
):
    """SEC-7: as `deploy/` runs them (ROSTRA_AUDIT_SEALER=false on the API), the audit
    entries of the API's reads are sealed by `rostra worker`, into one verified chain."""
    env = _env(settings)
    api = server("api", {**env, "ROSTRA_AUDIT_SEALER": "false"}).start()
    jobs = worker("jobs", env)
    try:
        api.wait_ready()
        admin = await login(NORTH_ADMIN)
        async with httpx.AsyncClient(base_url=api.url, timeout=30) as client:
            for _ in range(5):
                read = await client.get(f"{NORTH}/members?limit=50", headers=admin)
                assert read.status_code == 200, read.text
        async with owner.db.session() as session:
            unsealed = "SELECT count(*) FROM auditentry WHERE seq IS NULL"
            assert (await session.execute(text(unsealed))).scalar_one() >= 5  # nobody seals
        jobs.start()
        await _wait_until_sealed(owner)
    finally:
        stop_all([api, jobs])
    entries, distinct, low, high = (await _chains(owner))["demo-north"]
    assert entries == distinct and (low, high) == (1, entries)
    code, out = await asyncio.to_thread(run, ["audit", "verify", "demo-north"], env)
    assert code == 0, out

"""Password logins do not stall other requests: argon2id runs off the event loop (issue #16).

`make bench ONLY=identity`. A scratch SQLite database (migrations, the demo schools, the demo
people, lessons and events) and the app in-process over ASGI, with the default argon2id
parameters and hash pool of settings (one lane: ~170 ms of one core per hash, on one
thread fewer than the cores, at a lower priority; see
docs/decisions/2026-12-06-password-hashing-cpu.md).

- `events_list_p99_during_password_logins`: p99 of a teacher's events list (one lesson, a
  page of 100) while 20 password logins per second run, each a real `POST /v1/auth/password`
  of one of 20 people with a password. Baseline: the same p99 with no logins, same run.
- `events_list_p50_during_password_logins`: the same for the median.
- `password_logins_per_second`: logins answered 200 per second of the busy run (a login
  refused with 429 because too many hashes were waiting counts in `logins_refused`).
- `password_hash_ms`: one hash with the settings' parameters, quiet, through the hash pool.

The argon2id parameters and the hash pool come from the environment like the service's
(`ROSTRA_PASSWORD_PARALLELISM`, `ROSTRA_PASSWORD_HASH_THREADS`, `ROSTRA_PASSWORD_HASH_NICE`,
`ROSTRA_PASSWORD_HASH_QUEUE`, ...). `ROSTRA_BENCH_IDENTITY_SECONDS` (default 10) sets the
length of the quiet and of the busy run, each measured in `ROSTRA_BENCH_IDENTITY_PHASES`
(default 5) turns, quiet and busy alternating, so that the load of a shared machine, which
drifts, weighs on both alike.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import structlog
from sqlalchemy import select
from sqlmodel import col

from app.accounts import passwords
from app.accounts import repository as accounts_repository
from app.accounts.service import phone_hash
from app.core.config import ROOT, Settings
from app.core.context import ServiceContext
from app.core.db import set_tenant
from app.core.migrate import upgrade
from app.core.phones import normalize
from app.demo import load_demo
from app.roster.models import Lesson
from app.tenancy.repository import tenant_by_slug
from app.tenancy.service import apply_tenants
from bench.report import Figure, figure, write

SECONDS = float(os.environ.get("ROSTRA_BENCH_IDENTITY_SECONDS", "10"))
PHASES = int(os.environ.get("ROSTRA_BENCH_IDENTITY_PHASES", "5"))
LOGINS_PER_SECOND = 20
IN_FLIGHT = 8  # more waiting logins than this are not sent (the connection pool holds 15)
PEOPLE = 20
TEACHER = "+8613800000101"
PASSWORD = "a long bench password, not common"


def _settings(tmp: Path) -> Settings:
    url = f"sqlite+aiosqlite:///{tmp / 'rostra.db'}"
    return Settings(
        env="test",
        database_url=url,
        secret_key="bench-secret-key-that-is-long-enough-123456",
        var_dir=tmp / "var",
        object_store_dir=tmp / "objects",
        tenants_dir=ROOT / "tenants",
        log_json=False,
    )


async def _seed(settings: Settings) -> str:
    """The schools and demo data; returns the path of one of the teacher's lessons."""
    ctx = ServiceContext.build(settings)
    async with ctx.db.session() as session:
        await apply_tenants(session, ctx.keys, settings.tenants_dir, dry_run=False)
    async with ctx.db.session() as session:
        await load_demo(session, ctx.keys)
    async with ctx.db.session() as session:
        tenant = await tenant_by_slug(session, "demo-north")
        assert tenant is not None
        await set_tenant(session, tenant.id)
        teacher = await accounts_repository.account_by_phone_hash(
            session, phone_hash(ctx.keys, TEACHER)
        )
        assert teacher is not None
        lesson = (
            await session.execute(
                select(Lesson)
                .where(col(Lesson.tenant_id) == tenant.id, col(Lesson.teacher_id) == teacher.id)
                .order_by(col(Lesson.starts_at))
                .limit(1)
            )
        ).scalar_one()
    await ctx.db.dispose()
    return f"/v1/tenants/demo-north/lessons/{lesson.id}/events?limit=100"


async def _code_login(client: httpx.AsyncClient, ctx: ServiceContext, phone: str) -> str:
    assert (await client.post("/v1/auth/otp", json={"phone": phone})).status_code == 202
    async with ctx.db.session() as session:
        sent = await accounts_repository.outbox_for(session, phone_hash(ctx.keys, phone))
    token = await client.post("/v1/auth/token", json={"phone": phone, "code": sent[-1].code})
    assert token.status_code == 200, token.text
    return str(token.json()["access_token"])


async def _latencies(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], seconds: float
) -> list[float]:
    took: list[float] = []
    ends = time.perf_counter() + seconds
    while time.perf_counter() < ends:
        started = time.perf_counter()
        response = await client.get(path, headers=headers)
        took.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
    return took


async def _logins(
    client: httpx.AsyncClient, phones: list[str], stop: asyncio.Event
) -> tuple[int, int, int]:
    """Fires LOGINS_PER_SECOND password logins a second (not waiting for each to end)."""
    tasks: list[asyncio.Task[httpx.Response]] = []
    i = skipped = 0
    while not stop.is_set():
        if sum(not t.done() for t in tasks) < IN_FLIGHT:
            body = {"phone": phones[i % len(phones)], "password": PASSWORD}
            tasks.append(asyncio.create_task(client.post("/v1/auth/password", json=body)))
            i += 1
        else:
            skipped += 1
        await asyncio.sleep(1 / LOGINS_PER_SECOND)
    answers = await asyncio.gather(*tasks)
    assert all(a.status_code in (200, 429) for a in answers), [a.text for a in answers[:3]]
    refused = sum(a.status_code == 429 for a in answers)
    return len(answers) - refused, refused, skipped


async def _hash_ms(settings: Settings, rounds: int = 5) -> float:
    """The median wall time of one hash through the pool, nothing else running."""
    took: list[float] = []
    for _ in range(rounds):
        started = time.perf_counter()
        await passwords.hash_password(settings, PASSWORD)
        took.append((time.perf_counter() - started) * 1000)
    return statistics.median(took)


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


async def _run(settings: Settings, path: str) -> tuple[list[Figure], dict[str, Any]]:
    from app.main import create_app

    app = create_app(settings)
    structlog.configure(logger_factory=structlog.ReturnLoggerFactory())
    ctx: ServiceContext = app.state.ctx
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        teacher = {"Authorization": f"Bearer {await _code_login(client, ctx, TEACHER)}"}
        phones = [normalize(f"+86137100{n:05d}") for n in range(PEOPLE)]
        for phone in phones:
            token = await _code_login(client, ctx, phone)
            put = await client.put(
                "/v1/me/password",
                json={"password": PASSWORD},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert put.status_code == 204, put.text
        await _latencies(client, path, teacher, SECONDS / PHASES)  # warm-up, not counted
        hash_ms = await _hash_ms(settings)
        quiet: list[float] = []
        busy: list[float] = []
        done = refused = skipped = 0
        for _ in range(PHASES):  # quiet and busy in turns: the machine's load drifts alike
            quiet += await _latencies(client, path, teacher, SECONDS / PHASES)
            stop = asyncio.Event()
            logins = asyncio.create_task(_logins(client, phones, stop))
            busy += await _latencies(client, path, teacher, SECONDS / PHASES)
            stop.set()
            ok, no, unsent = await logins  # those still waiting end before the next quiet turn
            done, refused, skipped = done + ok, refused + no, skipped + unsent
    await ctx.db.dispose()
    extra: dict[str, Any] = {"requests_quiet": len(quiet), "requests_busy": len(busy)}
    extra |= {"logins": done, "logins_refused": refused}
    extra["logins_not_sent"] = skipped  # offered while IN_FLIGHT were already waiting
    extra["load_average"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    extra["parallelism"] = settings.password_parallelism
    extra["hash_threads"] = settings.password_hash_threads
    extra["hash_nice"] = settings.password_hash_nice
    figures = [
        figure("events_list_p99_during_password_logins", p99(busy), "ms", p99(quiet)),
        figure(
            "events_list_p50_during_password_logins",
            statistics.median(busy),
            "ms",
            statistics.median(quiet),
        ),
        figure("password_logins_per_second", done / SECONDS, "req/s"),
        figure("password_hash_ms", hash_ms, "ms"),
    ]
    return figures, extra


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="rostra-bench-identity-"))
    try:
        settings = _settings(tmp)
        upgrade(settings.database_url)
        path = asyncio.run(_seed(settings))
        figures, extra = asyncio.run(_run(settings, path))
        write("identity", figures)
        print(", ".join(f"{k}={v}" for k, v in extra.items()))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

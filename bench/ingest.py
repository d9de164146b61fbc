"""Ingestion: events/s through `POST /v1/ingest/events` on a real server vs a bare bulk load.

`make bench ONLY=ingest`. ROSTRA_BENCH_EVENTS (default 1,000,000) events for 100 lessons
of 30 students each, batches of 1,000, sent by 4 concurrent clients; then the same batches
again (all duplicates). Baseline: the same rows loaded straight into the same (empty) table
with the driver's fastest idempotent path (PostgreSQL: COPY into a temporary table, then
INSERT ... ON CONFLICT DO NOTHING; SQLite: one executemany of INSERT ... ON CONFLICT DO
NOTHING in one transaction). PostgreSQL runs in a scratch database `rostra_bench_ingest`
(created and dropped as the `postgres` superuser); the server connects as the plain
`rostra_app` role under row-level security, as in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app.accounts.models import Account, ApiKey
from app.accounts.service import new_account
from app.core.config import ROOT, Settings
from app.core.ids import new_id
from app.core.migrate import upgrade
from app.core.security import Keys, sha256_hex
from app.roster.models import Course, Enrollment, Lesson
from app.tenancy.models import Membership, Tenant
from bench.report import Figure, figure, write
from bench.scratch import Scratch

EVENTS = int(os.environ.get("ROSTRA_BENCH_EVENTS", "1000000"))
LESSONS = 100
STUDENTS_PER_LESSON = 30
BATCH = 1000
CONCURRENCY = int(os.environ.get("ROSTRA_BENCH_CONCURRENCY", "4"))
PG_WORKERS = int(os.environ.get("ROSTRA_BENCH_WORKERS", "2"))
PG_DB = os.environ.get("ROSTRA_BENCH_INGEST_DB", "rostra_bench_ingest")
UNLIMITED = "10000000"  # events per minute (the most a setting may say): throughput, not the limit
SERVER_START_SECONDS = float(os.environ.get("ROSTRA_BENCH_SERVER_START", "300"))
SECRET = "bench-secret-key-that-is-long-enough-0123456789"
START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
COLUMNS = (
    "tenant_id",
    "id",
    "client_id",
    "lesson_id",
    "account_id",
    "at",
    "kind",
    "record_kind",
    "data",
    "ip_prefix",
    "ip_hash",
    "received_at",
)
# A lesson's mix: mostly behaviour and tool use, some attendance and diagnostics.
MIX: list[tuple[str, str, dict[str, Any]]] = [
    ("attendance.joined", "attendance", {}),
    ("behaviour.camera_on", "behaviour", {}),
    ("behaviour.hand_raised", "behaviour", {}),
    ("behaviour.spoke", "behaviour", {"duration_ms": 4200}),
    ("behaviour.hand_lowered", "behaviour", {}),
    ("tool.answerer", "tool_use", {"question": "q7", "choice": "B", "correct": True}),
    ("behaviour.stage_up", "behaviour", {}),
    ("behaviour.rewarded", "behaviour", {"count": 1}),
    ("behaviour.stage_down", "behaviour", {}),
    ("tool.buzzer", "tool_use", {"result": "first"}),
    ("diagnostics.sample", "diagnostics", {"latency_ms": 38.5, "packet_loss": 0.01}),
    ("behaviour.mic_on", "behaviour", {}),
    ("behaviour.mic_off", "behaviour", {}),
    ("behaviour.camera_off", "behaviour", {}),
    ("attendance.left", "attendance", {"reason": "network_lost"}),
]


@dataclass
class World:
    tenant_id: uuid.UUID
    key: str
    lessons: list[uuid.UUID]
    students: dict[uuid.UUID, list[uuid.UUID]]


def _seed(owner_sync_url: str, keys: Keys) -> World:
    engine = create_engine(owner_sync_url)
    tenant_id = new_id()
    rng = random.Random(7)
    key = f"rk_{tenant_id.hex}_bench{uuid.uuid4().hex}"
    lessons: list[uuid.UUID] = []
    students: dict[uuid.UUID, list[uuid.UUID]] = {}
    with Session(engine) as session, session.begin():
        if engine.dialect.name == "postgresql":
            session.execute(
                text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)}
            )
        session.add(
            Tenant(id=tenant_id, slug=f"bench-{tenant_id.hex[:8]}", name="Bench", region="CN")
        )
        session.flush()
        people: list[Account] = [
            new_account(keys, f"+86137{n:08d}", f"Student {n}", "school") for n in range(300)
        ]
        teacher = new_account(keys, "+8613699999999", "Teacher", "school")
        session.add_all([*people, teacher])
        session.flush()
        for account in [*people, teacher]:
            role = "teacher" if account is teacher else "student"
            session.add(Membership(tenant_id=tenant_id, account_id=account.id, role=role))
        for n in range(LESSONS):
            course = Course(
                tenant_id=tenant_id,
                code=f"C{n}",
                name=f"Course {n}",
                starts_on=date(2026, 9, 1),
                ends_on=date(2027, 1, 31),
            )
            session.add(course)
            session.flush()
            lesson = Lesson(
                tenant_id=tenant_id,
                course_id=course.id,
                title=f"Lesson {n}",
                starts_at=START + timedelta(hours=n),
                duration_minutes=45,
                teacher_id=teacher.id,
            )
            session.add(lesson)
            chosen = rng.sample(people, STUDENTS_PER_LESSON)
            for account in chosen:
                session.add(
                    Enrollment(
                        tenant_id=tenant_id,
                        course_id=course.id,
                        account_id=account.id,
                        role="student",
                    )
                )
            session.flush()
            lessons.append(lesson.id)
            students[lesson.id] = [a.id for a in chosen]
        session.add(
            ApiKey(tenant_id=tenant_id, name="bench", prefix=key[:16], key_hash=sha256_hex(key))
        )
    engine.dispose()
    return World(tenant_id, key, lessons, students)


def _events(world: World) -> list[list[dict[str, Any]]]:
    """Batches round-robin over the lessons; each lesson's events are in time order."""
    per_lesson = EVENTS // LESSONS
    batches_per_lesson = max(1, per_lesson // BATCH)
    per_batch = per_lesson // batches_per_lesson
    batches: list[list[dict[str, Any]]] = []
    for round_ in range(batches_per_lesson):
        for n, lesson in enumerate(world.lessons):
            start = START + timedelta(hours=n)
            people = world.students[lesson]
            batch = []
            for i in range(per_batch):
                seq = round_ * per_batch + i
                kind, _, fields = MIX[seq % len(MIX)]
                who = people[(seq // len(MIX)) % len(people)]
                at = start + timedelta(milliseconds=seq * 250)
                batch.append(
                    {
                        "id": f"l{n}-e{seq}",
                        "lesson": str(lesson),
                        "user": str(who),
                        "at": at.isoformat(),
                        "kind": kind,
                        **fields,
                    }
                )
            batches.append(batch)
    return batches


def _rows(world: World, batches: list[list[dict[str, Any]]]) -> list[tuple[Any, ...]]:
    """The rows the bare bulk load writes: what ingestion stores for the same events."""
    record = {kind: rk for kind, rk, _ in MIX}
    now = datetime.now(UTC)
    rows = []
    for batch in batches:
        for e in batch:
            data = {k: v for k, v in e.items() if k not in ("id", "lesson", "user", "at", "kind")}
            rows.append(
                (
                    world.tenant_id,
                    new_id(),
                    e["id"],
                    uuid.UUID(e["lesson"]),
                    uuid.UUID(e["user"]),
                    datetime.fromisoformat(e["at"]),
                    e["kind"],
                    record[e["kind"]],
                    orjson.dumps(data).decode(),
                    None,
                    None,
                    now,
                )
            )
    return rows


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_log() -> Any:
    """The server's log: ROSTRA_BENCH_SERVER_LOG names a file to append it to (else dropped)."""
    path = os.environ.get("ROSTRA_BENCH_SERVER_LOG")
    return open(path, "ab") if path else subprocess.DEVNULL  # the child keeps it open


def _serve(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "rostra"),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=_server_log(),
    )
    # A shared, busy machine can take a minute or more just to import the app.
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start")


async def _send(port: int, key: str, bodies: list[bytes]) -> tuple[float, dict[str, int]]:
    totals = {"accepted": 0, "duplicates": 0, "dropped": 0}
    queue = list(reversed(bodies))
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    async def worker(client: httpx.AsyncClient) -> None:
        while queue:
            body = queue.pop()
            response = await client.post("/v1/ingest/events", content=body, headers=headers)
            if response.status_code != 202:
                raise SystemExit(f"ingest failed: {response.status_code} {response.text[:500]}")
            for name, value in response.json().items():
                totals[name] += value

    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", timeout=120, limits=limits
    ) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
        return time.perf_counter() - started, totals


def _http(
    env: dict[str, str], world: World, bodies: list[bytes], workers: int
) -> tuple[float, float]:
    port = _free_port()
    server = _serve(env, port, workers)
    try:
        seconds, totals = asyncio.run(_send(port, world.key, bodies))
        print(f"  first pass: {totals} in {seconds:.1f}s")
        again, totals2 = asyncio.run(_send(port, world.key, bodies))
        print(f"  retry pass: {totals2} in {again:.1f}s")
        if totals2["accepted"] != 0 or totals2["duplicates"] != totals["accepted"]:
            raise SystemExit("the retry pass stored something twice")
    finally:
        server.terminate()
        server.wait(30)
    return seconds, again


def postgres(keys: Keys) -> tuple[Figure, Figure]:
    scratch = Scratch(PG_DB)
    owner = scratch.owner_url
    try:
        scratch.create()
        world = _seed(owner.replace("+asyncpg", "+psycopg"), keys)
        batches = _events(world)
        total = sum(len(b) for b in batches)
        rows = _rows(world, batches)
        with scratch.owner() as conn:
            started = time.perf_counter()
            conn.execute(
                "CREATE TEMP TABLE load (LIKE classroom_event INCLUDING DEFAULTS) ON COMMIT DROP"
            )
            with conn.cursor().copy(f"COPY load ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            conn.execute(
                f"INSERT INTO classroom_event ({', '.join(COLUMNS)}) "
                f"SELECT {', '.join(COLUMNS)} FROM load "
                "ON CONFLICT (tenant_id, client_id) DO NOTHING"
            )
            conn.commit()
            bulk = time.perf_counter() - started
            conn.execute("TRUNCATE classroom_event")
            conn.commit()
        print(f"postgres bulk load: {total} rows in {bulk:.1f}s")
        bodies = [orjson.dumps({"events": b}) for b in batches]
        env = {
            "ROSTRA_DATABASE_URL": scratch.app_url,
            "ROSTRA_MIGRATE_DATABASE_URL": owner,
            "ROSTRA_SECRET_KEY": SECRET,
            "ROSTRA_LOG_JSON": "false",
            # The throughput, not the school's rate limit (still counted once per batch).
            "ROSTRA_INGEST_EVENTS_PER_MINUTE": UNLIMITED,
        }
        seconds, again = _http(env, world, bodies, workers=PG_WORKERS)
        with scratch.owner() as conn:
            stored = conn.execute("SELECT count(*) FROM classroom_event").fetchone()
            rollups = conn.execute("SELECT count(*) FROM lesson_rollup").fetchone()
        print(
            f"  stored {stored[0] if stored else 0} events, {rollups[0] if rollups else 0} rollups"
        )
        return (
            figure("postgres_http_ingest", total / seconds, "events/s", total / bulk),
            figure("postgres_http_reingest", total / again, "events/s", total / bulk),
        )
    finally:
        scratch.drop()


def sqlite(keys: Keys) -> Figure:
    directory = ROOT / "var" / "bench"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "ingest.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    world = _seed(f"sqlite:///{path}", keys)
    batches = _events(world)
    total = sum(len(b) for b in batches)
    rows = [
        tuple(
            str(v).replace("+00:00", "")
            if isinstance(v, datetime)
            else (v.hex if isinstance(v, uuid.UUID) else v)
            for v in row
        )
        for row in _rows(world, batches)
    ]
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    started = time.perf_counter()
    with conn:
        conn.executemany(
            f"INSERT INTO classroom_event ({', '.join(COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(COLUMNS))}) "
            "ON CONFLICT (tenant_id, client_id) DO NOTHING",
            rows,
        )
    bulk = time.perf_counter() - started
    with conn:
        conn.execute("DELETE FROM classroom_event")
    conn.close()
    print(f"sqlite bulk load: {total} rows in {bulk:.1f}s")
    bodies = [orjson.dumps({"events": b}) for b in batches]
    env = {
        "ROSTRA_DATABASE_URL": url,
        "ROSTRA_SECRET_KEY": SECRET,
        "ROSTRA_LOG_JSON": "false",
        "ROSTRA_INGEST_EVENTS_PER_MINUTE": UNLIMITED,
    }
    try:
        seconds, _ = _http(env, world, bodies, workers=1)
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return figure("sqlite_http_ingest", total / seconds, "events/s", total / bulk)


def main() -> None:
    keys = Keys(Settings(secret_key=SECRET))
    print(f"ingest: {EVENTS} events, {LESSONS} lessons, batches of {BATCH}, {CONCURRENCY} clients")
    pg_ingest, pg_reingest = postgres(keys)
    sqlite_ingest = sqlite(keys)
    write("ingest", [pg_ingest, sqlite_ingest, pg_reingest])


if __name__ == "__main__":
    main()
    sys.exit(0)

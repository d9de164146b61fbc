"""Deleting an offboarded school beside nine others, on PostgreSQL (issue #17).

Called by `make bench ONLY=privacy`. A scratch database `rostra_bench_deletion` holds ten
schools of the same shape: 30 people, a course of 40 lessons, ROSTRA_BENCH_EVENTS events
(default 50,000) and an attendance span per person and lesson each.

- `school_deletion_seconds`: `delete_school` (the count before of every table, the objects,
  bounded batches in short transactions of the tables with rows, the count after and the
  signed proof) of school 1, after school 0 was deleted the same way to warm up (which also
  opens the process's owner pool, `Database.as_owner`). Baseline: a bare `DELETE ... WHERE
  tenant_id = ...` of every tenant table of school 2 (the same rows) in one transaction,
  same run.
- `other_school_p99_ms_during_deletion`: p99 of school 4's events list over HTTP (the app
  in-process as the plain role) while school 3 is deleted; baseline: the same p99 with no
  deletion, same run. The five untouched schools are counted before and after.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import psycopg
import structlog

from app.core.config import ROOT, Settings
from app.core.ids import new_id
from bench.report import Figure, figure
from bench.scratch import Scratch

EVENTS = int(os.environ.get("ROSTRA_BENCH_EVENTS", "50000"))
SCHOOLS, PEOPLE, LESSONS = 10, 30, 40
READS = int(os.environ.get("ROSTRA_BENCH_DELETION_READS", "300"))
DB = Scratch("rostra_bench_deletion")


class School:
    def __init__(self, n: int) -> None:
        self.n, self.id, self.course = n, new_id(), new_id()
        self.people = [new_id() for _ in range(PEOPLE)]
        self.lessons = [new_id() for _ in range(LESSONS)]


def _settings() -> Settings:
    settings: Settings = DB.settings(
        object_store_dir=ROOT / "var" / "bench" / "deletion-objects",
        var_dir=ROOT / "var" / "bench",
    )
    return settings


def _people(cur: psycopg.Cursor[Any], s: School, now: datetime) -> None:
    cur.execute(
        "INSERT INTO tenant (id, slug, name, region, options, retention, notice_version, "
        "created_at, updated_at) VALUES (%s, %s, %s, 'CN', '{}', '{}', '1', %s, %s)",
        (s.id, f"school-{s.n}", f"School {s.n}", now, now),
    )
    with cur.copy(
        "COPY account (id, phone_hash, phone_enc, phone_masked, registered_via, is_staff, "
        "status, created_at) FROM STDIN"
    ) as copy:
        for i, person in enumerate(s.people):
            copy.write_row((person, f"{s.n:02d}{i:062x}", "x", "+86 138****0000", "school",
                            False, "active", now))  # fmt: skip
    with cur.copy(
        "COPY membership (tenant_id, id, account_id, role, status, created_at, updated_at) "
        "FROM STDIN"
    ) as copy:
        for i, person in enumerate(s.people):
            role = "school_admin" if i == 0 else "student"
            copy.write_row((s.id, new_id(), person, role, "active", now, now))


def _classes(cur: psycopg.Cursor[Any], s: School, now: datetime) -> None:
    start = now - timedelta(days=200)
    cur.execute(
        "INSERT INTO course (tenant_id, id, code, name, starts_on, ends_on, status, created_at) "
        "VALUES (%s, %s, 'C', 'Course', %s, %s, 'active', %s)",
        (s.id, s.course, date(2026, 1, 1), date(2026, 12, 31), now),
    )
    with cur.copy(
        "COPY lesson (tenant_id, id, course_id, title, starts_at, duration_minutes, status, "
        "recording_notice_shown, created_at) FROM STDIN"
    ) as copy:
        for i, lesson in enumerate(s.lessons):
            at = start + timedelta(days=i * 4)
            copy.write_row((s.id, lesson, s.course, f"L{i}", at, 45, "ended", False, now))
    with cur.copy(
        "COPY attendance_span (tenant_id, id, lesson_id, account_id, joined_at, left_at, "
        "leave_reason, closed_at_lesson_end) FROM STDIN"
    ) as copy:
        for i, lesson in enumerate(s.lessons):
            at = start + timedelta(days=i * 4)
            for person in s.people:
                copy.write_row((s.id, new_id(), lesson, person, at, at + timedelta(minutes=40),
                                "normal", False))  # fmt: skip
    with cur.copy(
        "COPY classroom_event (tenant_id, id, client_id, lesson_id, account_id, at, kind, "
        "record_kind, data, received_at) FROM STDIN"
    ) as copy:
        for i in range(EVENTS):
            nth = i % LESSONS
            at = start + timedelta(days=nth * 4, seconds=i % 2700)
            copy.write_row((s.id, new_id(), f"e{i}", s.lessons[nth], s.people[i % PEOPLE],
                            at, "behaviour.hand_raised", "behaviour", "{}", now))  # fmt: skip


def load() -> list[School]:
    DB.create()
    schools, now = [School(n) for n in range(SCHOOLS)], datetime.now(UTC)
    started = time.perf_counter()
    with DB.owner() as conn, conn.cursor() as cur:
        for s in schools:
            _people(cur, s, now)
            _classes(cur, s, now)
        conn.commit()
        cur.execute("ANALYZE")
    print(f"  loaded {SCHOOLS} schools of {EVENTS:,} events each in "
          f"{time.perf_counter() - started:.1f}s")  # fmt: skip
    return schools


def _counts(schools: list[School]) -> dict[str, int]:
    from app.lifecycle.deletion import school_tables

    with DB.owner() as conn:
        return {
            f"{s.n}:{t.name}": conn.execute(
                f'SELECT count(*) FROM "{t.name}" WHERE tenant_id = %s', (s.id,)
            ).fetchone()[0]  # type: ignore[index]
            for s in schools
            for t in school_tables()
        }


def bare_delete(s: School) -> float:
    """Seconds of a bare DELETE of every tenant table of the school, children first."""
    from app.lifecycle.deletion import school_tables

    with DB.owner() as conn:
        started = time.perf_counter()
        for table in school_tables():
            conn.execute(f'DELETE FROM "{table.name}" WHERE tenant_id = %s', (s.id,))
        conn.execute("DELETE FROM tenant WHERE id = %s", (s.id,))
        conn.commit()
        return time.perf_counter() - started


async def _offboarded(ctx: Any, s: School) -> Any:
    from app.core import clock
    from app.lifecycle.models import Offboarding

    row = Offboarding(school_id=s.id, slug=f"school-{s.n}", delete_after=clock.now())
    async with ctx.db.session() as session:
        session.add(row)
    return row.id


async def _reads(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], stop: Any
) -> list[float]:
    took: list[float] = []
    while (stop is None and len(took) < READS) or (stop is not None and not stop.done()):
        started = time.perf_counter()
        response = await client.get(path, headers=headers)
        took.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
    return took


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) > 1 else values[0]


async def _run(schools: list[School]) -> tuple[list[Figure], dict[str, Any]]:
    from app.core import clock
    from app.lifecycle.deletion import delete_school
    from app.main import create_app

    app = create_app(_settings())
    structlog.configure(logger_factory=structlog.ReturnLoggerFactory())
    ctx = app.state.ctx
    reader = schools[4]
    token, _ = ctx.keys.signer.issue(str(reader.people[0]), clock.now())
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/v1/tenants/school-4/lessons/{reader.lessons[0]}/events?limit=100"
    try:
        await delete_school(ctx, await _offboarded(ctx, schools[0]))  # warm-up, not counted
        started = time.perf_counter()
        proof = await delete_school(ctx, await _offboarded(ctx, schools[1]))
        alone = time.perf_counter() - started
        assert proof is not None and set(proof.rows_after.values()) == {0}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await _reads(client, path, headers, None)  # warm-up
            quiet = await _reads(client, path, headers, None)
            deleting = asyncio.create_task(delete_school(ctx, await _offboarded(ctx, schools[3])))
            busy = await _reads(client, path, headers, deleting)
            await deleting
    finally:
        await ctx.db.dispose()
    extra = {"reads_quiet": len(quiet), "reads_during_deletion": len(busy)}
    return [
        figure("school_deletion_seconds", alone, "s", None),
        figure("other_school_p99_ms_during_deletion", p99(busy), "ms", p99(quiet)),
    ], extra


def run() -> list[Figure]:
    print(f"school deletion: one school of {EVENTS:,} events beside {SCHOOLS - 1} others")
    try:
        schools = load()
    except psycopg.OperationalError as exc:
        print(f"school deletion: PostgreSQL unreachable ({exc.__class__.__name__}); skipped")
        return []
    try:
        untouched = schools[5:]  # school 4 is read (its audit log grows)
        before = _counts(untouched)
        figures, extra = asyncio.run(_run(schools))
        baseline = bare_delete(schools[2])
        assert _counts(untouched) == before, "a school that was not deleted lost rows"
        assert set(_counts(schools[:4]).values()) == {0}
    finally:
        DB.drop()
    deletion = figures[0]
    figures[0] = figure(deletion.name, deletion.value, deletion.unit, baseline)
    print(f"  Rostra deletion {deletion.value:.2f}s, bare DELETE {baseline:.2f}s; "
          f"reads: {extra}")  # fmt: skip
    return figures

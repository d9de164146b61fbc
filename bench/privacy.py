"""Access export of a student with two years of records, on PostgreSQL (issue #13).

`make bench ONLY=privacy`. A scratch database `rostra_bench_privacy` (created and dropped
as `postgres`) holds one student's ROSTRA_BENCH_EVENTS (default 50,000) classroom events
over 400 lessons in two years, their attendance spans and the same number of events of
classmates; the worker connects as the plain app role, so row-level security applies.

- `access_export_seconds`: the export job run by the job runner (`drain`: procrastinate
  fetches it, the zip of every category in JSON and CSV is written and put in the object
  store, each school's audit entry). Baseline: a bare `COPY (SELECT ...) TO STDOUT` of the
  same event and span rows, in the same run.
- `access_export_peak_mb`: peak Python allocation (tracemalloc) during a second export;
  baseline: the size of the zip, to show it is streamed, not built in memory.
- `retention_sweep_rows_per_s`: the retention sweep of the expired events, after the
  exports (`bench/retention_sweep.py`); baseline: a bare DELETE of the same rows.
- `school_deletion_seconds`, `other_school_p99_ms_during_deletion`: see `school_deletion`.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg

from app.core.config import ROOT, Settings
from app.core.context import ServiceContext
from app.core.ids import new_id
from app.core.security import Keys
from bench import school_deletion
from bench.report import Figure, figure, write
from bench.retention_sweep import sweep_figure
from bench.scratch import Scratch

EVENTS = int(os.environ.get("ROSTRA_BENCH_EVENTS", "50000"))
LESSONS = 400
DB = Scratch("rostra_bench_privacy")
PHONE = "+8613800000201"
KINDS = (
    ("attendance.joined", "attendance", "{}"),
    ("behaviour.hand_raised", "behaviour", "{}"),
    ("behaviour.spoke", "behaviour", '{"duration_ms": 1200}'),
    ("tool.buzzer", "tool_use", '{"result": "first"}'),
    ("tool.answerer", "tool_use", '{"question": "2+2?", "choice": "B", "correct": true}'),
    ("diagnostics.sample", "diagnostics", '{"latency_ms": 38.5, "os": "android"}'),
    ("attendance.left", "attendance", '{"reason": "normal"}'),
)


def _settings(objects: Any) -> Settings:
    settings: Settings = DB.settings(object_store_dir=objects, var_dir=ROOT / "var" / "bench")
    return settings


class World:
    def __init__(self) -> None:
        self.tenant = new_id()
        self.student = new_id()
        self.classmates = [new_id() for _ in range(29)]
        self.course = new_id()
        self.lessons = [new_id() for _ in range(LESSONS)]


def _load_people(cur: psycopg.Cursor[Any], w: World, keys: Keys, now: datetime) -> None:
    cur.execute(
        "INSERT INTO tenant (id, slug, name, region, options, retention, notice_version, "
        "created_at, updated_at) "
        "VALUES (%s, 'bench', 'Bench school', 'CN', '{}', '{}', '1', %s, %s)",
        (w.tenant, now, now),
    )
    with cur.copy(
        "COPY account (id, phone_hash, phone_enc, phone_masked, registered_via, is_staff, "
        "status, created_at) FROM STDIN"
    ) as copy:
        for i, account in enumerate([w.student, *w.classmates]):
            phone = keys.phone_cipher.encrypt(PHONE if i == 0 else f"+86138000003{i:02d}")
            copy.write_row(
                (account, f"{i:064x}", phone, "+86 138****0201", "school", False, "active", now)
            )
    with cur.copy(
        "COPY membership (tenant_id, id, account_id, role, status, display_name, created_at, "
        "updated_at) FROM STDIN"
    ) as copy:
        for account in [w.student, *w.classmates]:
            copy.write_row((w.tenant, new_id(), account, "student", "active", "Student", now, now))
    cur.execute(
        "INSERT INTO course (tenant_id, id, code, name, starts_on, ends_on, status, created_at) "
        "VALUES (%s, %s, 'MATH', 'Mathematics', %s, %s, 'active', %s)",
        (w.tenant, w.course, date(2024, 9, 1), date(2026, 7, 1), now),
    )
    with cur.copy(
        "COPY enrollment (tenant_id, id, course_id, account_id, role, status, created_at) "
        "FROM STDIN"
    ) as copy:
        for account in [w.student, *w.classmates]:
            copy.write_row((w.tenant, new_id(), w.course, account, "student", "active", now))


def _load_classes(cur: psycopg.Cursor[Any], w: World, now: datetime) -> None:
    start = now - timedelta(days=730)
    with cur.copy(
        "COPY lesson (tenant_id, id, course_id, title, starts_at, duration_minutes, status, "
        "recording_notice_shown, created_at) FROM STDIN"
    ) as copy:
        for i, lesson in enumerate(w.lessons):
            at = start + timedelta(days=i * 730 / LESSONS)
            copy.write_row((w.tenant, lesson, w.course, f"Lesson {i}", at, 45, "ended", False, now))
    with cur.copy(
        "COPY attendance_span (tenant_id, id, lesson_id, account_id, joined_at, left_at, "
        "leave_reason, closed_at_lesson_end) FROM STDIN"
    ) as copy:
        for i, lesson in enumerate(w.lessons):
            at = start + timedelta(days=i * 730 / LESSONS)
            copy.write_row((w.tenant, new_id(), lesson, w.student, at, at + timedelta(minutes=44),
                            "normal", False))  # fmt: skip


def _load_events(cur: psycopg.Cursor[Any], w: World, now: datetime) -> None:
    rng = random.Random(13)
    start = now - timedelta(days=730)
    with cur.copy(
        "COPY classroom_event (tenant_id, id, client_id, lesson_id, account_id, at, kind, "
        "record_kind, data, ip_prefix, received_at) FROM STDIN"
    ) as copy:
        for i in range(EVENTS * 2):  # half the student's, half the classmates'
            who = w.student if i % 2 == 0 else w.classmates[i % len(w.classmates)]
            lesson = (i // 2) % LESSONS
            at = start + timedelta(days=lesson * 730 / LESSONS, seconds=rng.randrange(2700))
            kind, record_kind, data = KINDS[(i // 2) % len(KINDS)]
            copy.write_row((w.tenant, new_id(), f"e{i}", w.lessons[lesson], who, at, kind,
                            record_kind, data, "10.0.0.0/24", now))  # fmt: skip


def load() -> World:
    DB.create()
    w, now = World(), datetime.now(UTC)
    keys = Keys(_settings(ROOT / "var" / "bench" / "privacy-objects"))
    started = time.perf_counter()
    with (
        DB.owner() as conn,
        conn.cursor() as cur,
    ):
        _load_people(cur, w, keys, now)
        _load_classes(cur, w, now)
        _load_events(cur, w, now)
        conn.commit()
        cur.execute("ANALYZE")
    print(f"  loaded {EVENTS:,} events of the student (+{EVENTS:,} of classmates) with COPY "
          f"in {time.perf_counter() - started:.1f}s")  # fmt: skip
    return w


def copy_baseline(w: World) -> float:
    """Seconds to COPY the same rows out, bare: the floor any export stands on."""
    queries = (
        "COPY (SELECT lesson_id, at, kind, data, ip_prefix, ip_hash, received_at "
        f"FROM classroom_event WHERE tenant_id = '{w.tenant}' AND account_id = '{w.student}' "
        "ORDER BY at, id) TO STDOUT WITH CSV",
        "COPY (SELECT lesson_id, joined_at, left_at, leave_reason FROM attendance_span "
        f"WHERE tenant_id = '{w.tenant}' AND account_id = '{w.student}' ORDER BY joined_at) "
        "TO STDOUT WITH CSV",
    )
    with (
        DB.owner() as conn,
        conn.cursor() as cur,
    ):
        started = time.perf_counter()
        size = 0
        for query in queries:
            with cur.copy(query) as copy:
                for chunk in copy:
                    size += len(chunk)
        took = time.perf_counter() - started
    print(f"  bare COPY of the same rows: {took:.2f}s ({size / 1e6:.1f} MB of CSV)")
    return took


async def export_once(ctx: ServiceContext, w: World, *, traced: bool) -> tuple[float, float, int]:
    """(seconds, peak MB, zip bytes) of one export run by the job runner."""
    import app.rights.export.tasks  # noqa: F401  (registers the job)
    from app.jobs.wiring import drain
    from app.rights.export.models import AccessExport
    from app.rights.export.service import start_access_export

    async with ctx.db.session() as session:
        export = await start_access_export(session, account_id=w.student, requested_by=w.student)
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    await drain(ctx)
    took = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 1e6 if traced else 0.0
    if traced:
        tracemalloc.stop()
    async with ctx.db.session() as session:
        done = await session.get(AccessExport, export.id)
    assert done is not None and done.status == "ready", "the export did not finish"
    return took, peak, int(done.size_bytes or 0)


async def _run(w: World) -> list[Figure]:
    objects = ROOT / "var" / "bench" / "privacy-objects"
    ctx = ServiceContext.build(_settings(objects))
    try:
        seconds, _, size = await export_once(ctx, w, traced=False)
        print(f"  access export: {seconds:.2f}s, zip {size / 1e6:.1f} MB")
        baseline = copy_baseline(w)
        _, peak, size = await export_once(ctx, w, traced=True)
        print(f"  peak Python memory during an export: {peak:.1f} MB (zip {size / 1e6:.1f} MB)")
        with DB.owner() as owner:
            swept = await sweep_figure(ctx.settings, owner, w.tenant)
    finally:
        await ctx.db.dispose()
        shutil.rmtree(objects, ignore_errors=True)
    return [
        figure("access_export_seconds", seconds, "s", baseline),
        figure("access_export_peak_mb", peak, "MB", size / 1e6),
        swept,
    ]


def main() -> None:
    print(f"privacy: access export of a student with {EVENTS:,} events (PostgreSQL)")
    try:
        w = load()
    except psycopg.OperationalError as exc:
        print(f"privacy: PostgreSQL unreachable ({exc.__class__.__name__}); skipped")
        return
    try:
        figures = asyncio.run(_run(w))
    finally:
        DB.drop()
    figures += school_deletion.run()
    write("privacy", figures)


if __name__ == "__main__":
    main()

"""Analytics at size: the teacher course view and the school course report over HTTP, against
the same figures computed by a direct GROUP BY over the raw events (issue #12).

PostgreSQL scratch database `rostra_bench_analytics`: 100 schools, 2,000 lessons (one course
of 20 lessons and 40 students per school), 20,000 people; 1,000,000 events, then 9,000,000
more (10M). Events are generated inside PostgreSQL (INSERT ... SELECT over generate_series,
secondary indexes dropped during the load and rebuilt after); the rollups ingestion keeps
current are then derived from the events with one aggregate (their upkeep at ingestion is
`make bench ONLY=ingest`'s business). The app runs in-process over HTTP (ASGI), connected
as the app role (row-level security on), and writes its audit entry on every read.

Each figure is the best of three rounds, each round a median of 40 requests.

- `course_view_1m`: ms per course view (20 lessons x 40 students) over HTTP at 1M events;
  baseline: the raw GROUP BY of the same figures over `classroom_event` at 1M.
- `course_view_10m`: the same at 10M events; baseline: `course_view_1m` (flat: ratio ~1).
- `raw_course_group_by_10m`: the raw GROUP BY at 10M; baseline: the same at 1M (it grows).
- `course_report_1m` / `course_report_10m`: the school course report over HTTP; baselines:
  the raw per-lesson GROUP BY of the school at 1M, and `course_report_1m`.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import psycopg
import structlog

from app.core.ids import new_id
from bench.report import Figure, figure, write
from bench.scratch import Scratch, admin, copy_schools

DB = Scratch("rostra_bench_analytics")
SCHOOLS = 100
LESSONS_PER_COURSE = 20  # one course per school: 2,000 lessons
STUDENTS_PER_COURSE = 40
PEOPLE_PER_SCHOOL = 200  # 20,000 people
PAIRS = SCHOOLS * LESSONS_PER_COURSE * STUDENTS_PER_COURSE  # (lesson, student): 80,000
START = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)
REQUESTS = 40
# A smoke run on fewer events (the figures keep their names): ROSTRA_BENCH_ANALYTICS_EVENTS.
MILLION = int(os.environ.get("ROSTRA_BENCH_ANALYTICS_EVENTS", "1000000"))
KEEP = os.environ.get("ROSTRA_BENCH_ANALYTICS_KEEP") == "1"  # leave the database to look at

# Every (lesson, student) pair gets a join, a leave, then behaviour cycling through these.
BEHAVIOUR = (
    "behaviour.hand_raised", "behaviour.spoke", "behaviour.rewarded", "tool.answerer",
    "tool.buzzer", "behaviour.camera_on", "behaviour.camera_off", "behaviour.mic_on",
    "behaviour.mic_off", "diagnostics.sample",
)  # fmt: skip
# What both the rollups and the raw baseline compute, per (lesson, person).
FIGURES = """
    count(*) FILTER (WHERE kind = 'attendance.joined') AS joins,
    min(at) FILTER (WHERE kind = 'attendance.joined') AS first_join,
    max(at) FILTER (WHERE kind = 'attendance.left') AS last_leave,
    count(*) FILTER (WHERE kind = 'behaviour.hand_raised') AS hand_raises,
    coalesce(sum((data->>'count')::int) FILTER (WHERE kind = 'behaviour.rewarded'), 0) AS rewards,
    coalesce(sum((data->>'duration_ms')::bigint) FILTER (WHERE kind = 'behaviour.spoke'), 0)
        AS speaking_ms,
    count(*) FILTER (WHERE kind = 'behaviour.camera_on') * 60 AS camera_seconds,
    count(*) FILTER (WHERE kind = 'tool.answerer' AND (data->>'correct')::boolean)
        AS answers_correct,
    count(*) FILTER (WHERE kind = 'tool.answerer') AS answers_total,
    count(*) FILTER (WHERE kind = 'tool.buzzer' AND data->>'result' = 'first') AS buzzer_wins
"""


class World:
    def __init__(self) -> None:
        self.tenants = [new_id() for _ in range(SCHOOLS)]
        self.courses = [new_id() for _ in range(SCHOOLS)]
        self.teachers = [new_id() for _ in range(SCHOOLS)]
        self.admins = [new_id() for _ in range(SCHOOLS)]
        self.people = [[new_id() for _ in range(PEOPLE_PER_SCHOOL)] for _ in range(SCHOOLS)]
        self.lessons = [[new_id() for _ in range(LESSONS_PER_COURSE)] for _ in range(SCHOOLS)]


def load_roster(world: World) -> None:
    """Schools, people, one course each with its teacher, 40 students and 20 lessons."""
    now = datetime.now(UTC)
    with DB.owner() as conn, conn.cursor() as cur:
        copy_schools(cur, world.tenants, now)
        with cur.copy(
            "COPY account (id, phone_hash, phone_enc, phone_masked, display_name, "
            "registered_via, is_staff, status, created_at) FROM STDIN"
        ) as copy:
            n = 0
            for school in range(SCHOOLS):
                for account in [
                    world.teachers[school],
                    world.admins[school],
                    *world.people[school],
                ]:
                    copy.write_row((account, f"{n:064x}", "x", "+86 138****0000", f"P{n}",
                                    "school", False, "active", now))  # fmt: skip
                    n += 1
        with cur.copy(
            "COPY membership (tenant_id, id, account_id, role, status, display_name, "
            "created_at, updated_at) FROM STDIN"
        ) as copy:
            for school, tenant in enumerate(world.tenants):
                roles = [
                    (world.teachers[school], "teacher"),
                    (world.admins[school], "school_admin"),
                ]
                roles += [(p, "student") for p in world.people[school]]
                for account, role in roles:
                    copy.write_row((tenant, new_id(), account, role, "active", "学生", now, now))
        with cur.copy(
            "COPY course (tenant_id, id, code, name, starts_on, ends_on, status, created_at) "
            "FROM STDIN"
        ) as copy:
            for school, tenant in enumerate(world.tenants):
                copy.write_row((tenant, world.courses[school], "C1", "Course", date(2026, 9, 1),
                                date(2027, 1, 31), "active", now))  # fmt: skip
        with cur.copy(
            "COPY enrollment (tenant_id, id, course_id, account_id, role, status, created_at) "
            "FROM STDIN"
        ) as copy:
            for school, tenant in enumerate(world.tenants):
                course = world.courses[school]
                copy.write_row(
                    (tenant, new_id(), course, world.teachers[school], "teacher", "active", now)
                )
                for student in world.people[school][:STUDENTS_PER_COURSE]:
                    copy.write_row((tenant, new_id(), course, student, "student", "active", now))
        with cur.copy(
            "COPY lesson (tenant_id, id, course_id, title, starts_at, duration_minutes, "
            "teacher_id, status, actual_start, actual_end, recording_notice_shown, created_at) "
            "FROM STDIN"
        ) as copy:
            for school, tenant in enumerate(world.tenants):
                for i, lesson in enumerate(world.lessons[school]):
                    at = START + timedelta(days=i)
                    copy.write_row((tenant, lesson, world.courses[school], f"Lesson {i}", at, 45,
                                    world.teachers[school], "ended", at, at + timedelta(minutes=45),
                                    False, now))  # fmt: skip
        # (n, school, lesson, student, start) for every pair: what the event generator joins.
        cur.execute(
            "CREATE UNLOGGED TABLE bench_pair (n int PRIMARY KEY, tenant_id uuid, "
            "lesson_id uuid, account_id uuid, starts_at timestamptz)"
        )
        with cur.copy("COPY bench_pair FROM STDIN") as copy:
            n = 0
            for school, tenant in enumerate(world.tenants):
                for i, lesson in enumerate(world.lessons[school]):
                    for student in world.people[school][:STUDENTS_PER_COURSE]:
                        copy.write_row((n, tenant, lesson, student, START + timedelta(days=i)))
                        n += 1
        conn.commit()


def _event_insert(first: int, last: int) -> str:
    kinds = ", ".join(f"'{k}'" for k in BEHAVIOUR)
    step, count = f"(g / {PAIRS})", len(BEHAVIOUR)
    kind = (
        f"CASE WHEN {step} = 0 THEN 'attendance.joined' WHEN {step} = 1 "
        f"THEN 'attendance.left' ELSE (ARRAY[{kinds}])[{step} % {count} + 1] END"
    )
    return f"""
    INSERT INTO classroom_event (tenant_id, id, client_id, lesson_id, account_id, at, kind,
                                 record_kind, data, received_at)
    SELECT p.tenant_id, gen_random_uuid(), 'e' || g, p.lesson_id, p.account_id,
           CASE e.kind WHEN 'attendance.joined' THEN p.starts_at + (p.n % 8) * interval '1 minute'
                       WHEN 'attendance.left' THEN p.starts_at + interval '45 minutes'
                       ELSE p.starts_at + interval '8 minutes' + (g % 2000) * interval '1 second'
           END,
           e.kind,
           CASE WHEN e.kind LIKE 'attendance.%' THEN 'attendance'
                WHEN e.kind LIKE 'tool.%' THEN 'tool_use'
                WHEN e.kind LIKE 'diagnostics.%' THEN 'diagnostics' ELSE 'behaviour' END,
           CASE e.kind
                WHEN 'attendance.left' THEN '{{"reason": "left"}}'::jsonb
                WHEN 'behaviour.spoke' THEN jsonb_build_object('duration_ms', 1000 + g % 5000)
                WHEN 'behaviour.rewarded' THEN '{{"count": 1}}'::jsonb
                WHEN 'tool.answerer' THEN jsonb_build_object(
                    'question', 'q', 'choice', 'A', 'correct', g % 3 = 0)
                WHEN 'tool.buzzer' THEN jsonb_build_object(
                    'result', CASE WHEN g % 4 = 0 THEN 'first' ELSE 'answered' END)
                WHEN 'diagnostics.sample' THEN jsonb_build_object(
                    'latency_ms', 40 + g % 500, 'packet_loss', (g % 9) / 100.0)
                ELSE '{{}}'::jsonb END,
           now()
    FROM generate_series({first}, {last - 1}) AS g
    CROSS JOIN LATERAL (SELECT {kind} AS kind) AS e
    JOIN bench_pair p ON p.n = g % {PAIRS}
    """


def _detach(conn: psycopg.Connection[Any]) -> list[str]:
    """Drop classroom_event's keys, foreign keys and indexes; return the statements that
    put them back (foreign keys NOT VALID: the generated rows are consistent by design)."""
    table = "'classroom_event'::regclass"
    constraints = conn.execute(
        f"SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
        f"WHERE conrelid = {table} AND contype IN ('p', 'u', 'f') ORDER BY contype DESC"
    ).fetchall()
    indexes = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'classroom_event' AND "
        f"indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = {table})"
    ).fetchall()
    restore: list[str] = []
    for name, definition, kind in constraints:  # foreign keys first ('f' > 'p' > 'u')
        conn.execute(f'ALTER TABLE classroom_event DROP CONSTRAINT "{name}"')
        valid = " NOT VALID" if kind == "f" else ""
        restore.append(f'ALTER TABLE classroom_event ADD CONSTRAINT "{name}" {definition}{valid}')
    for name, definition in indexes:
        conn.execute(f'DROP INDEX "{name}"')
        restore.append(definition)
    restore.reverse()  # keys before the foreign keys that may need them
    return restore


def load_events(first: int, last: int) -> float:
    """Events [first, last) generated in PostgreSQL, with keys and indexes rebuilt after."""
    started = time.perf_counter()
    with DB.owner() as conn:
        restore = _detach(conn)
        conn.execute("SET maintenance_work_mem = '256MB'")
        conn.execute(_event_insert(first, last))
        for statement in restore:
            conn.execute(statement)
        conn.commit()
    return time.perf_counter() - started


def derive_rollups() -> float:
    """lesson_rollup from the events: the figures ingestion keeps current, in one aggregate."""
    started = time.perf_counter()
    with DB.owner() as conn:
        conn.execute("TRUNCATE lesson_rollup")
        conn.execute(f"""
            INSERT INTO lesson_rollup (tenant_id, lesson_id, account_id, attended_seconds, joins,
                first_join, last_leave, hand_raises, rewards, speaking_ms, camera_seconds,
                stage_seconds, answers_correct, answers_total, counts, updated_at)
            SELECT tenant_id, lesson_id, account_id,
                   coalesce(extract(epoch FROM last_leave - first_join)::int, 0), joins,
                   first_join, last_leave, hand_raises, rewards, speaking_ms, camera_seconds, 0,
                   answers_correct, answers_total,
                   json_build_object('behaviour.hand_raised', hand_raises,
                                     'tool.buzzer.first', buzzer_wins),
                   now()
            FROM (SELECT tenant_id, lesson_id, account_id, {FIGURES}
                  FROM classroom_event GROUP BY tenant_id, lesson_id, account_id) AS f
        """)
        conn.commit()
        conn.execute("ANALYZE")
        conn.commit()
    return time.perf_counter() - started


def _median_ms(run: Any, times: int = REQUESTS) -> float:
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        spent.append((time.perf_counter() - started) * 1000)
    return statistics.median(spent)


def raw_group_by(world: World, school: int) -> tuple[float, float]:
    """(ms for one course's figures, ms for the school's per-lesson report), from raw events."""
    tenant, lessons = world.tenants[school], world.lessons[school]
    course_sql = f"""SELECT lesson_id, account_id, {FIGURES} FROM classroom_event
                    WHERE tenant_id = %s AND lesson_id = ANY(%s) GROUP BY lesson_id, account_id"""
    sampled = "FILTER (WHERE kind = 'diagnostics.sample')"
    report_sql = f"""SELECT lesson_id,
                        count(DISTINCT account_id) FILTER (WHERE kind = 'attendance.joined'),
                        avg((data->>'latency_ms')::float) {sampled},
                        avg((data->>'packet_loss')::float) {sampled}
                    FROM classroom_event WHERE tenant_id = %s GROUP BY lesson_id"""
    with DB.owner() as conn:
        rows = conn.execute(course_sql, (tenant, lessons)).fetchall()
        assert len(rows) == LESSONS_PER_COURSE * STUDENTS_PER_COURSE, len(rows)
        course = _median_ms(lambda: conn.execute(course_sql, (tenant, lessons)).fetchall())
        report = _median_ms(lambda: conn.execute(report_sql, (tenant,)).fetchall())
    return course, report


async def over_http(world: World, school: int) -> tuple[float, float]:
    """(ms per course view as the teacher, ms per course report as the admin), medians."""
    from app.main import create_app

    app = create_app(DB.settings())
    structlog.configure(logger_factory=structlog.ReturnLoggerFactory())
    signer = app.state.ctx.keys.signer
    now = datetime.now(UTC)

    def bearer(account: uuid.UUID) -> dict[str, str]:
        token, _ = signer.issue(str(account), now)
        return {"Authorization": f"Bearer {token}"}

    slug = f"bench-{school}"
    view = (
        f"/v1/tenants/{slug}/analytics/courses/{world.courses[school]}",
        bearer(world.teachers[school]),
    )
    report = (f"/v1/tenants/{slug}/reports/courses", bearer(world.admins[school]))
    results = []
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for path, headers in (view, report):
                first = await client.get(path, headers=headers)
                assert first.status_code == 200, first.text
                for _ in range(5):  # warm the pool and the statement caches
                    await client.get(path, headers=headers)
                spent = []
                for _ in range(REQUESTS):
                    started = time.perf_counter()
                    response = await client.get(path, headers=headers)
                    spent.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200
                results.append(statistics.median(spent))
            items = first.json()["items"]
            assert len(items) == 1 and items[0]["lessons_held"] == LESSONS_PER_COURSE
    finally:
        await app.state.ctx.db.dispose()
    return results[0], results[1]


ROUNDS = 3  # each figure is the best of three medians: a shared machine's noise only adds


def _measure(world: World, label: str) -> dict[str, float]:
    school = SCHOOLS // 2
    rounds = [(*raw_group_by(world, school), *asyncio.run(over_http(world, school)))
              for _ in range(ROUNDS)]  # fmt: skip
    raw_course, raw_report, view, report = (min(values) for values in zip(*rounds, strict=True))
    print(f"  {label}: course view {view:.1f} ms over HTTP (raw GROUP BY {raw_course:.1f} ms); "
          f"course report {report:.1f} ms (raw {raw_report:.1f} ms)")  # fmt: skip
    return {"view": view, "report": report, "raw_course": raw_course, "raw_report": raw_report}


def main() -> None:
    try:
        with admin():
            pass
    except psycopg.OperationalError as exc:
        print(f"analytics: PostgreSQL unreachable ({exc.__class__.__name__}); nothing measured")
        return
    print("analytics: PostgreSQL scratch database, 100 schools, 2,000 lessons, 20,000 people")
    world = World()
    try:
        DB.create()
        load_roster(world)
        took = load_events(0, MILLION)
        print(f"  {MILLION:,} events generated in {took:.1f}s; rollups in {derive_rollups():.1f}s")
        at_1m = _measure(world, "1M events")
        took = load_events(MILLION, 10 * MILLION)
        rollups = derive_rollups()
        print(f"  +{9 * MILLION:,} events generated in {took:.1f}s; rollups in {rollups:.1f}s")
        at_10m = _measure(world, "10M events")
    finally:
        if not KEEP:
            DB.drop()
    figures: list[Figure] = [
        figure("course_view_1m", at_1m["view"], "ms", at_1m["raw_course"]),
        figure("course_view_10m", at_10m["view"], "ms", at_1m["view"]),
        figure("raw_course_group_by_10m", at_10m["raw_course"], "ms", at_1m["raw_course"]),
        figure("course_report_1m", at_1m["report"], "ms", at_1m["raw_report"]),
        figure("course_report_10m", at_10m["report"], "ms", at_1m["report"]),
        figure("raw_report_group_by_10m", at_10m["raw_report"], "ms", at_1m["raw_report"]),
    ]
    write("analytics", figures)


if __name__ == "__main__":
    main()

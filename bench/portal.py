"""The portal at size over HTTP on PostgreSQL (issue #15): server time of the teacher's
course page and of the admin's members page, each against the JSON API it is built on.

Scratch database `rostra_bench_portal`: one school with 50,000 students on its roster and
one course of 20 lessons x 40 students with their rollups (what ingestion keeps current).
The app runs in-process over HTTP (ASGI) as the app role (row-level security on); the
portal is reached with a real session cookie, the API with an access token; every read
writes its audit entry on both sides.

- `portal_course_page_ms`: the course page (table, trend chart, drop-off list); baseline:
  the analytics course view JSON (`/v1/tenants/{slug}/analytics/courses/{id}`), same run.
- `portal_members_page_ms`: the first members page (role=student, 50 rows); baseline: the
  members list API with the same filter.
- `portal_members_search_ms`: a search by part of a name (role=student); baseline: the
  members list API with role=student (it has no name search: the closest filter it has).
- `portal_members_phone_ms`: a search by full phone number; baseline: the same API page.
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
from bench.scratch import Scratch, admin

DB = Scratch("rostra_bench_portal")
MEMBERS = int(os.environ.get("ROSTRA_BENCH_PORTAL_MEMBERS", "50000"))
LESSONS, STUDENTS = 20, 40
START = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)
REQUESTS = 30
SLUG = "bench-portal"


class World:
    def __init__(self) -> None:
        self.tenant, self.course = new_id(), new_id()
        self.teacher, self.admin = new_id(), new_id()
        self.students = [new_id() for _ in range(MEMBERS)]
        self.lessons = [new_id() for _ in range(LESSONS)]


def load(world: World, keys: Any) -> None:
    """The school, its roster (phone hashes as the app computes them), the course, rollups."""
    from app.accounts.service import phone_hash

    now = datetime.now(UTC)
    people = [(world.teacher, "teacher"), (world.admin, "school_admin")]
    people += [(s, "student") for s in world.students]
    with DB.owner() as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO tenant (id, slug, name, region, options, retention, notice_version, "
            "created_at, updated_at) VALUES (%s, %s, 'Bench school', 'CN', '{}', '{}', '1', "
            "%s, %s)",
            (world.tenant, SLUG, now, now),
        )
        with cur.copy(
            "COPY account (id, phone_hash, phone_enc, phone_masked, display_name, "
            "registered_via, is_staff, status, created_at) FROM STDIN"
        ) as copy:
            for n, (account, _role) in enumerate(people):
                phone = f"+86139{n:08d}"
                copy.write_row((account, phone_hash(keys, phone), "x", "+86 139****0000",
                                f"学生{n:05d}", "school", False, "active", now))  # fmt: skip
        with cur.copy(
            "COPY membership (tenant_id, id, account_id, role, status, display_name, "
            "created_at, updated_at) FROM STDIN"
        ) as copy:
            for n, (account, role) in enumerate(people):
                copy.write_row((world.tenant, new_id(), account, role, "active", f"学生{n:05d}",
                                now, now))  # fmt: skip
        cur.execute(
            "INSERT INTO course (tenant_id, id, code, name, starts_on, ends_on, status, "
            "created_at) VALUES (%s, %s, 'C1', 'Course', %s, %s, 'active', %s)",
            (world.tenant, world.course, date(2026, 9, 1), date(2027, 1, 31), now),
        )
        with cur.copy(
            "COPY enrollment (tenant_id, id, course_id, account_id, role, status, created_at) "
            "FROM STDIN"
        ) as copy:
            copy.write_row((world.tenant, new_id(), world.course, world.teacher, "teacher",
                            "active", now))  # fmt: skip
            for student in world.students[:STUDENTS]:
                copy.write_row((world.tenant, new_id(), world.course, student, "student",
                                "active", now))  # fmt: skip
        with cur.copy(
            "COPY lesson (tenant_id, id, course_id, title, starts_at, duration_minutes, "
            "teacher_id, status, actual_start, actual_end, recording_notice_shown, created_at) "
            "FROM STDIN"
        ) as copy:
            for i, lesson in enumerate(world.lessons):
                at = START + timedelta(days=i)
                copy.write_row((world.tenant, lesson, world.course, f"Lesson {i}", at, 45,
                                world.teacher, "ended", at, at + timedelta(minutes=45), False,
                                now))  # fmt: skip
        with cur.copy(
            "COPY lesson_rollup (tenant_id, lesson_id, account_id, attended_seconds, joins, "
            "first_join, last_leave, hand_raises, rewards, speaking_ms, camera_seconds, "
            "stage_seconds, answers_correct, answers_total, counts, updated_at) FROM STDIN"
        ) as copy:
            for i, lesson in enumerate(world.lessons):
                at = START + timedelta(days=i)
                for s, student in enumerate(world.students[:STUDENTS]):
                    if (i + s) % 7 == 0:
                        continue  # absent now and then: the trend and drop-off have work
                    copy.write_row((world.tenant, lesson, student, 2400, 1, at,
                                    at + timedelta(minutes=40), s % 4, s % 3, 30_000, 600, 0,
                                    1, 2, '{"behaviour.hand_raised": 1}', now))  # fmt: skip
        conn.commit()
        conn.execute("ANALYZE")
        conn.commit()


async def _median(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> float:
    first = await client.get(path, headers=headers)
    assert first.status_code == 200, (path, first.status_code, first.text[:300])
    for _ in range(5):  # warm the pool and the statement caches
        await client.get(path, headers=headers)
    spent = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = await client.get(path, headers=headers)
        spent.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return statistics.median(spent)


async def _cookie(app: Any, account_id: uuid.UUID) -> dict[str, str]:
    """A real portal session for the account, as sign-in makes one."""
    from app.accounts import repository
    from app.core import clock
    from app.portal.session import SESSION_COOKIE, cookie_value, start_session

    ctx = app.state.ctx
    async with ctx.db.session() as session:
        account = await repository.account_by_id(session, account_id)
        assert account is not None
        token = await start_session(session, ctx.settings, ctx.keys, account)
    return {"Cookie": f"{SESSION_COOKIE}={cookie_value(ctx.settings, token, clock.now())}"}


async def over_http(world: World) -> dict[str, float]:
    from app.main import create_app

    app = create_app(DB.settings())
    structlog.configure(logger_factory=structlog.ReturnLoggerFactory())
    signer = app.state.ctx.keys.signer

    def bearer(account: uuid.UUID) -> dict[str, str]:
        token, _ = signer.issue(str(account), datetime.now(UTC))
        return {"Authorization": f"Bearer {token}"}

    out: dict[str, float] = {}
    try:
        teacher, admin = await _cookie(app, world.teacher), await _cookie(app, world.admin)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            course = world.course
            out["api_course"] = await _median(
                c, f"/v1/tenants/{SLUG}/analytics/courses/{course}", bearer(world.teacher)
            )
            out["portal_course"] = await _median(
                c, f"/portal/s/{SLUG}/teach/courses/{course}", teacher
            )
            members = f"/v1/tenants/{SLUG}/members?role=student&limit=50"
            out["api_members"] = await _median(c, members, bearer(world.admin))
            page = f"/portal/s/{SLUG}/admin/members?role=student"
            out["portal_members"] = await _median(c, page, admin)
            out["portal_search"] = await _median(c, page + "&q=学生4999", admin)
            out["portal_phone"] = await _median(c, page + f"&q=139{MEMBERS // 2:08d}", admin)
    finally:
        await app.state.ctx.db.dispose()
    return out


def main() -> None:
    try:
        with admin():
            pass
    except psycopg.OperationalError as exc:
        print(f"portal: PostgreSQL unreachable ({exc.__class__.__name__}); nothing measured")
        return
    from app.core.security import Keys

    print(f"portal: PostgreSQL scratch database, {MEMBERS:,} members, {LESSONS}x{STUDENTS} course")
    world = World()
    try:
        DB.create()
        load(world, Keys(DB.settings()))
        got = asyncio.run(over_http(world))
    finally:
        DB.drop()
    figures: list[Figure] = [
        figure("portal_course_page_ms", got["portal_course"], "ms", got["api_course"]),
        figure("portal_members_page_ms", got["portal_members"], "ms", got["api_members"]),
        figure("portal_members_search_ms", got["portal_search"], "ms", got["api_members"]),
        figure("portal_members_phone_ms", got["portal_phone"], "ms", got["api_members"]),
    ]
    write("portal", figures)


if __name__ == "__main__":
    main()

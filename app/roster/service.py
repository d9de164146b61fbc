"""Courses and their lessons: what the caller may see of them, and the scheduling rules (a
lesson inside its course's dates, a sane duration, no teacher in two lessons at once)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.service import find_account
from app.authz.access import Access
from app.core import clock
from app.core.errors import Conflict, Invalid, NotFound
from app.core.ids import parse_id
from app.core.pagination import PageParams, paginate
from app.core.phones import normalize_field
from app.core.security import Keys
from app.core.vocabulary import Role
from app.roster import repository
from app.roster.models import Course, Lesson, LessonStatus
from app.roster.schemas import CourseCreate, LessonUpdate
from app.roster.scopes import course_predicate
from app.tenancy.models import Tenant
from app.tenancy.repository import live_roles

MAX_LESSON_MINUTES = 720


def aware(value: datetime) -> datetime:
    """A client's time without a zone is read as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def visible_courses(access: Access) -> ColumnElement[bool]:
    """The courses the caller's scopes reach."""
    return course_predicate(access, col(Course.id))


async def visible_course(session: AsyncSession, access: Access, course_id: str) -> Course:
    """The course if the caller's scopes reach it; 404 for missing, foreign or out of scope."""
    parsed = parse_id(course_id)
    course = (
        await repository.course_by_id(session, access.tenant_id, parsed, visible_courses(access))
        if parsed
        else None
    )
    if course is None:
        raise NotFound("no such course")
    return course


async def course_page(
    session: AsyncSession, access: Access, page: PageParams
) -> tuple[list[Course], str | None]:
    rows = await repository.list_courses(
        session, access.tenant_id, visible_courses(access), after=page.after_id(), fetch=page.fetch
    )
    return paginate(rows, page.limit, cursor_of=lambda c: [str(c.id)])


async def visible_lesson(session: AsyncSession, access: Access, lesson_id: str) -> Lesson:
    """The lesson if the caller's scopes reach its course; 404 otherwise."""
    parsed = parse_id(lesson_id)
    visible = course_predicate(access, col(Lesson.course_id))
    lesson = (
        await repository.lesson_by_id(session, access.tenant_id, parsed, visible)
        if parsed
        else None
    )
    if lesson is None:
        raise NotFound("no such lesson")
    return lesson


async def lesson_page(
    session: AsyncSession, access: Access, course: Course, page: PageParams
) -> tuple[list[Lesson], str | None]:
    """The course's schedule in time order."""
    rows = await repository.list_lessons(
        session,
        access.tenant_id,
        course.id,
        course_predicate(access, col(Lesson.course_id)),
        after=page.after_time_id(),
        fetch=page.fetch,
    )
    return paginate(rows, page.limit, cursor_of=lambda x: [x.starts_at.isoformat(), str(x.id)])


async def course_of_lesson(session: AsyncSession, access: Access, lesson: Lesson) -> Course:
    course = await repository.course_by_id(
        session, access.tenant_id, lesson.course_id, visible_courses(access)
    )
    if course is None:
        raise NotFound("no such lesson")
    return course


async def teacher_by_phone(
    session: AsyncSession, keys: Keys, tenant: Tenant, phone: str, region: str
) -> uuid.UUID:
    """The account of a teacher of the school named by phone number; 422 otherwise."""
    e164 = normalize_field(phone, "teacher_phone", region)
    teacher = await find_account(session, keys, e164)
    return await check_teacher(session, tenant, teacher.id if teacher else None)


async def create_course(
    session: AsyncSession, tenant: Tenant, body: CourseCreate
) -> tuple[Course, bool]:
    """A new course, or the same one again (a retried request): (course, created)."""
    if body.ends_on < body.starts_on:
        raise Invalid("ends_on", "the course ends before it starts")
    existing = await repository.course_by_code(session, tenant.id, body.code)
    if existing is not None:
        same = (existing.name, existing.starts_on, existing.ends_on) == (
            body.name,
            body.starts_on,
            body.ends_on,
        )
        if same:
            return existing, False
        raise Conflict(f"code: another course already uses the code {body.code!r}", field="code")
    course = Course(tenant_id=tenant.id, **body.model_dump())
    session.add(course)
    await session.flush()
    return course, True


async def check_teacher(
    session: AsyncSession, tenant: Tenant, teacher_id: uuid.UUID | None
) -> uuid.UUID:
    if teacher_id is None or Role.TEACHER not in await live_roles(session, tenant.id, teacher_id):
        raise Invalid("teacher_phone", "this number is not a teacher of the school")
    return teacher_id


async def check_schedule(
    session: AsyncSession,
    tenant: Tenant,
    course: Course,
    *,
    starts_at: datetime,
    duration_minutes: int,
    teacher_id: uuid.UUID | None,
    lesson_id: uuid.UUID | None = None,
) -> None:
    if duration_minutes <= 0:
        raise Invalid("duration_minutes", "the duration must be more than 0 minutes")
    if duration_minutes > MAX_LESSON_MINUTES:
        raise Invalid("duration_minutes", "a lesson lasts at most 12 hours (720 minutes)")
    ends_at = starts_at + timedelta(minutes=duration_minutes)
    if starts_at.date() < course.starts_on or ends_at.date() > course.ends_on:
        raise Invalid(
            "starts_at",
            f"the lesson falls outside the course's dates ({course.starts_on} to {course.ends_on})",
        )
    if teacher_id is None:
        return
    earliest = starts_at - timedelta(minutes=MAX_LESSON_MINUTES)
    nearby = await repository.lessons_of_teacher_between(
        session, tenant.id, teacher_id, earliest, ends_at
    )
    for other in nearby:
        if other.id == lesson_id:
            continue
        other_end = other.starts_at + timedelta(minutes=other.duration_minutes)
        if other.starts_at < ends_at and starts_at < other_end:
            raise Invalid(
                "starts_at",
                f"the teacher already has a lesson from {other.starts_at.isoformat()} "
                f"to {other_end.isoformat()} ({other.title!r})",
                conflicting_lesson_id=str(other.id),
            )


async def create_lesson(
    session: AsyncSession,
    tenant: Tenant,
    course: Course,
    *,
    title: str,
    starts_at: datetime,
    duration_minutes: int,
    teacher_id: uuid.UUID | None,
) -> tuple[Lesson, bool]:
    """A new lesson, or the identical one already scheduled (a retried request)."""
    starts_at = aware(starts_at)
    same = await repository.same_lesson(session, tenant.id, course.id, title, starts_at)
    if (
        same is not None
        and same.duration_minutes == duration_minutes
        and same.teacher_id == teacher_id
    ):
        return same, False
    await check_schedule(
        session,
        tenant,
        course,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        teacher_id=teacher_id,
    )
    lesson = Lesson(
        tenant_id=tenant.id,
        course_id=course.id,
        title=title,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        teacher_id=teacher_id,
    )
    session.add(lesson)
    await session.flush()
    return lesson, True


async def update_lesson(
    session: AsyncSession, tenant: Tenant, course: Course, lesson: Lesson, body: LessonUpdate
) -> None:
    starts_at = aware(body.starts_at) if body.starts_at is not None else lesson.starts_at
    duration = (
        body.duration_minutes if body.duration_minutes is not None else lesson.duration_minutes
    )
    if (starts_at, duration) != (lesson.starts_at, lesson.duration_minutes):
        if lesson.status in (LessonStatus.ended, LessonStatus.cancelled):
            raise Conflict(f"a {lesson.status} lesson cannot be rescheduled", field="starts_at")
        await check_schedule(
            session,
            tenant,
            course,
            starts_at=starts_at,
            duration_minutes=duration,
            teacher_id=lesson.teacher_id,
            lesson_id=lesson.id,
        )
    lesson.starts_at, lesson.duration_minutes = starts_at, duration
    if body.title is not None:
        lesson.title = body.title
    if body.status is not None and body.status != lesson.status:
        now = clock.now()
        if lesson.status in (LessonStatus.ended, LessonStatus.cancelled):
            raise Conflict(f"the lesson is {lesson.status}; its status is final", field="status")
        if body.status == LessonStatus.live:
            lesson.actual_start = lesson.actual_start or now
        elif body.status == LessonStatus.ended:
            lesson.actual_start = lesson.actual_start or lesson.starts_at
            lesson.actual_end = now
        lesson.status = body.status

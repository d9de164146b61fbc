"""Courses, lessons and enrolments of a school, read within the caller's scopes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from sqlalchemy import or_
from sqlmodel import col

from app.accounts.service import find_account
from app.authz.access import Access
from app.authz.audit import record_access
from app.authz.deps import authorize
from app.core.deps import ContextDep, SessionDep
from app.core.errors import Invalid, NotFound
from app.core.ids import parse_id
from app.core.pagination import Page, PageParams, encode_cursor, page_params
from app.core.phones import normalize_field
from app.roster import courses, enrolling, repository
from app.roster.models import Course, Enrollment, Lesson
from app.roster.schemas import (
    CourseCreate,
    CourseOut,
    EnrollmentBatch,
    EnrollmentBatchOut,
    EnrollmentOut,
    LessonCreate,
    LessonOut,
    LessonUpdate,
)
from app.roster.scopes import course_person_predicate, course_predicate

router = APIRouter(tags=["roster"])
PURPOSE = "teaching_management"
PageDep = Annotated[PageParams, Depends(page_params)]


def _access(kind: str, action: str) -> object:
    return authorize(kind, action, purpose=PURPOSE)


CourseList = Annotated[Access, _access("course", "list")]
CourseRead = Annotated[Access, _access("course", "read")]
CourseCreateAccess = Annotated[Access, _access("course", "create")]
LessonList = Annotated[Access, _access("lesson", "list")]
LessonRead = Annotated[Access, _access("lesson", "read")]
LessonCreateAccess = Annotated[Access, _access("lesson", "create")]
LessonUpdateAccess = Annotated[Access, _access("lesson", "update")]
EnrollmentList = Annotated[Access, _access("enrollment", "list")]
EnrollmentCreate = Annotated[Access, _access("enrollment", "create")]
EnrollmentDelete = Annotated[Access, _access("enrollment", "delete")]


def course_out(c: Course) -> CourseOut:
    return CourseOut.model_validate(c, from_attributes=True)


def lesson_out(lesson: Lesson) -> LessonOut:
    return LessonOut.model_validate(lesson, from_attributes=True)


async def _course(session: SessionDep, access: Access, course_id: str) -> Course:
    """The course if the caller's scopes reach it; 404 for missing, foreign or out of scope."""
    parsed = parse_id(course_id)
    course = (
        await repository.course_by_id(
            session, access.tenant_id, parsed, course_predicate(access, col(Course.id))
        )
        if parsed
        else None
    )
    if course is None:
        raise NotFound("no such course")
    return course


@router.get("/v1/tenants/{slug}/courses", response_model=Page[CourseOut])
async def list_courses(access: CourseList, session: SessionDep, page: PageDep) -> Page[CourseOut]:
    after = page.after_id()
    rows = await repository.list_courses(
        session,
        access.tenant_id,
        course_predicate(access, col(Course.id)),
        after=after,
        limit=page.limit + 1,
    )
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    await record_access(session, access, detail={"count": len(rows)})
    return Page(
        items=[course_out(c) for c in rows],
        next_cursor=encode_cursor([str(rows[-1].id)]) if more else None,
    )


@router.post(
    "/v1/tenants/{slug}/courses",
    response_model=CourseOut,
    status_code=201,
    responses={200: {"description": "the same course already exists (a retried request)"}},
)
async def create_course(
    body: CourseCreate, access: CourseCreateAccess, session: SessionDep, response: Response
) -> CourseOut:
    course, created = await courses.create_course(session, access.tenant, body)
    await record_access(session, access, detail={"course_id": str(course.id), "created": created})
    if not created:
        response.status_code = 200
    return course_out(course)


@router.get("/v1/tenants/{slug}/courses/{course_id}", response_model=CourseOut)
async def read_course(course_id: str, access: CourseRead, session: SessionDep) -> CourseOut:
    course = await _course(session, access, course_id)
    await record_access(session, access, detail={"course_id": str(course.id)})
    return course_out(course)


@router.get("/v1/tenants/{slug}/courses/{course_id}/lessons", response_model=Page[LessonOut])
async def list_lessons(
    course_id: str, access: LessonList, session: SessionDep, page: PageDep
) -> Page[LessonOut]:
    """The course's schedule in time order."""
    course = await _course(session, access, course_id)
    after = None
    if page.cursor and len(page.cursor) == 2 and (last := parse_id(str(page.cursor[1]))):
        try:
            after = (datetime.fromisoformat(str(page.cursor[0])), last)
        except ValueError:
            raise Invalid("cursor", "not a cursor this API issued") from None
    rows = await repository.list_lessons(
        session,
        access.tenant_id,
        course.id,
        course_predicate(access, col(Lesson.course_id)),
        after=after,
        limit=page.limit + 1,
    )
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    await record_access(session, access, (x.teacher_id for x in rows if x.teacher_id))
    cursor = encode_cursor([rows[-1].starts_at.isoformat(), str(rows[-1].id)]) if more else None
    return Page(items=[lesson_out(x) for x in rows], next_cursor=cursor)


@router.post(
    "/v1/tenants/{slug}/courses/{course_id}/lessons",
    response_model=LessonOut,
    status_code=201,
    responses={200: {"description": "the same lesson already exists (a retried request)"}},
)
async def create_lesson(
    course_id: str,
    body: LessonCreate,
    access: LessonCreateAccess,
    ctx: ContextDep,
    session: SessionDep,
    response: Response,
) -> LessonOut:
    """A lesson may start in the past: schools record lessons already held."""
    course = await _course(session, access, course_id)
    teacher_id = None
    if body.teacher_phone:
        e164 = normalize_field(body.teacher_phone, "teacher_phone", ctx.settings.default_region)
        teacher = await find_account(session, ctx.keys, e164)
        teacher_id = teacher.id if teacher else None
        await courses.check_teacher(session, access.tenant, teacher_id)
    lesson, created = await courses.create_lesson(
        session,
        access.tenant,
        course,
        title=body.title,
        starts_at=body.starts_at,
        duration_minutes=body.duration_minutes,
        teacher_id=teacher_id,
    )
    subjects = [teacher_id] if teacher_id else []
    await record_access(session, access, subjects, detail={"lesson_id": str(lesson.id)})
    if not created:
        response.status_code = 200
    return lesson_out(lesson)


async def _lesson(session: SessionDep, access: Access, lesson_id: str) -> Lesson:
    parsed = parse_id(lesson_id)
    lesson = (
        await repository.lesson_by_id(
            session, access.tenant_id, parsed, course_predicate(access, col(Lesson.course_id))
        )
        if parsed
        else None
    )
    if lesson is None:
        raise NotFound("no such lesson")
    return lesson


@router.get("/v1/tenants/{slug}/lessons/{lesson_id}", response_model=LessonOut)
async def read_lesson(lesson_id: str, access: LessonRead, session: SessionDep) -> LessonOut:
    lesson = await _lesson(session, access, lesson_id)
    await record_access(session, access, [lesson.teacher_id] if lesson.teacher_id else [])
    return lesson_out(lesson)


@router.patch("/v1/tenants/{slug}/lessons/{lesson_id}", response_model=LessonOut)
async def update_lesson(
    lesson_id: str, body: LessonUpdate, access: LessonUpdateAccess, session: SessionDep
) -> LessonOut:
    """Retitle, reschedule or change the status (teachers: lessons of courses they teach)."""
    lesson = await _lesson(session, access, lesson_id)
    course = await repository.course_by_id(
        session, access.tenant_id, lesson.course_id, course_predicate(access, col(Course.id))
    )
    if course is None:
        raise NotFound("no such lesson")
    await courses.update_lesson(session, access.tenant, course, lesson, body)
    changes = body.model_dump(mode="json", exclude_none=True)
    await record_access(session, access, detail={"lesson_id": str(lesson.id), "changes": changes})
    return lesson_out(lesson)


@router.post(
    "/v1/tenants/{slug}/courses/{course_id}/enrollments", response_model=EnrollmentBatchOut
)
async def enroll(
    course_id: str,
    body: EnrollmentBatch,
    access: EnrollmentCreate,
    ctx: ContextDep,
    session: SessionDep,
) -> EnrollmentBatchOut:
    """Adds people by phone number, all or nothing; one outcome per entry (`enrolled`,
    `already_enrolled`, `registered_and_enrolled`). Retrying the same batch is harmless."""
    course = await _course(session, access, course_id)
    outcomes, touched = await enrolling.enroll(
        session,
        ctx.keys,
        access.tenant,
        access.account_id,
        course,
        body,
        ctx.settings.default_region,
    )
    await record_access(session, access, touched, detail={"course_id": str(course.id)})
    return EnrollmentBatchOut(course_id=course.id, outcomes=outcomes)


def _enrollment_page(
    rows: list[tuple[Enrollment, object]], limit: int
) -> tuple[list[EnrollmentOut], str | None]:
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        EnrollmentOut(
            id=e.id,
            course_id=e.course_id,
            account_id=e.account_id,
            role=e.role,
            status=e.status,
            display_name=getattr(a, "display_name", None),
            phone_masked=str(getattr(a, "phone_masked", "")),
            created_at=e.created_at,
        )
        for e, a in rows
    ]
    return items, encode_cursor([str(rows[-1][0].id)]) if more else None


@router.get(
    "/v1/tenants/{slug}/courses/{course_id}/enrollments", response_model=Page[EnrollmentOut]
)
async def list_course_enrollments(
    course_id: str, access: EnrollmentList, session: SessionDep, page: PageDep
) -> Page[EnrollmentOut]:
    visible = course_person_predicate(access, col(Enrollment.course_id), col(Enrollment.account_id))
    parsed = parse_id(course_id)
    reachable = or_(
        course_predicate(access, col(Course.id)),
        col(Course.id).in_(repository.courses_with_visible_enrollments(access.tenant_id, visible)),
    )
    course = (
        await repository.course_by_id(session, access.tenant_id, parsed, reachable)
        if parsed
        else None
    )
    if course is None:
        raise NotFound("no such course")
    after = page.after_id()
    rows = await repository.list_enrollments(
        session, access.tenant_id, visible, course_id=course.id, after=after, limit=page.limit + 1
    )
    items, cursor = _enrollment_page(list(rows), page.limit)
    await record_access(session, access, (i.account_id for i in items))
    return Page(items=items, next_cursor=cursor)


@router.get("/v1/tenants/{slug}/enrollments", response_model=Page[EnrollmentOut])
async def list_enrollments(
    access: EnrollmentList, session: SessionDep, page: PageDep
) -> Page[EnrollmentOut]:
    """Every enrolment the caller may see (a student: their own; a guardian: their children's)."""
    visible = course_person_predicate(access, col(Enrollment.course_id), col(Enrollment.account_id))
    after = page.after_id()
    rows = await repository.list_enrollments(
        session, access.tenant_id, visible, course_id=None, after=after, limit=page.limit + 1
    )
    items, cursor = _enrollment_page(list(rows), page.limit)
    await record_access(session, access, (i.account_id for i in items))
    return Page(items=items, next_cursor=cursor)


@router.delete(
    "/v1/tenants/{slug}/courses/{course_id}/enrollments/{enrollment_id}", status_code=204
)
async def remove_enrollment(
    course_id: str, enrollment_id: str, access: EnrollmentDelete, session: SessionDep
) -> Response:
    """Takes the person off the course (SCH-3): their access to it stops now."""
    course = await _course(session, access, course_id)
    parsed = parse_id(enrollment_id)
    enrollment = (
        await repository.enrollment_by_id(
            session, access.tenant_id, parsed, col(Enrollment.course_id) == course.id
        )
        if parsed
        else None
    )
    if enrollment is None:
        raise NotFound("no such enrollment")
    changed = enrolling.remove(enrollment)
    await record_access(session, access, [enrollment.account_id], detail={"removed": changed})
    return Response(status_code=204)

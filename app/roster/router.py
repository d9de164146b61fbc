"""Courses and lessons of a school, read within the caller's scopes; and every roster router.

The roster's sub-packages (members, enrollments, issues, imports) each have their own router;
`router` here includes them all, for the app factory.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from app.authz.access import Access
from app.authz.audit import record_access
from app.authz.deps import Authorize
from app.core.deps import ContextDep, SessionDep
from app.core.pagination import Page, PageParams, page_params
from app.core.vocabulary import Action, Purpose, RecordKind
from app.roster import service
from app.roster.enrollments.router import router as enrollments_router
from app.roster.imports.router import router as imports_router
from app.roster.issues.router import router as issues_router
from app.roster.members.router import router as members_router
from app.roster.models import Course, Lesson
from app.roster.schemas import CourseCreate, CourseOut, LessonCreate, LessonOut, LessonUpdate

courses_router = APIRouter(tags=["roster"])
PageDep = Annotated[PageParams, Depends(page_params)]


def _access(kind: RecordKind, action: Action) -> Authorize:
    return Authorize(kind, action, purpose=Purpose.TEACHING_MANAGEMENT)


CourseList = Annotated[Access, Depends(_access(RecordKind.COURSE, Action.LIST))]
CourseRead = Annotated[Access, Depends(_access(RecordKind.COURSE, Action.READ))]
CourseCreateAccess = Annotated[Access, Depends(_access(RecordKind.COURSE, Action.CREATE))]
LessonList = Annotated[Access, Depends(_access(RecordKind.LESSON, Action.LIST))]
LessonRead = Annotated[Access, Depends(_access(RecordKind.LESSON, Action.READ))]
LessonCreateAccess = Annotated[Access, Depends(_access(RecordKind.LESSON, Action.CREATE))]
LessonUpdateAccess = Annotated[Access, Depends(_access(RecordKind.LESSON, Action.UPDATE))]


def course_out(c: Course) -> CourseOut:
    return CourseOut.model_validate(c, from_attributes=True)


def lesson_out(lesson: Lesson) -> LessonOut:
    return LessonOut.model_validate(lesson, from_attributes=True)


@courses_router.get("/v1/tenants/{slug}/courses", response_model=Page[CourseOut])
async def list_courses(access: CourseList, session: SessionDep, page: PageDep) -> Page[CourseOut]:
    rows, cursor = await service.course_page(session, access, page)
    await record_access(session, access, detail={"count": len(rows)})
    return Page(items=[course_out(c) for c in rows], next_cursor=cursor)


@courses_router.post(
    "/v1/tenants/{slug}/courses",
    response_model=CourseOut,
    status_code=201,
    responses={200: {"description": "the same course already exists (a retried request)"}},
)
async def create_course(
    body: CourseCreate, access: CourseCreateAccess, session: SessionDep, response: Response
) -> CourseOut:
    course, created = await service.create_course(session, access.tenant, body)
    await record_access(session, access, detail={"course_id": str(course.id), "created": created})
    if not created:
        response.status_code = 200
    return course_out(course)


@courses_router.get("/v1/tenants/{slug}/courses/{course_id}", response_model=CourseOut)
async def read_course(course_id: str, access: CourseRead, session: SessionDep) -> CourseOut:
    course = await service.visible_course(session, access, course_id)
    await record_access(session, access, detail={"course_id": str(course.id)})
    return course_out(course)


@courses_router.get(
    "/v1/tenants/{slug}/courses/{course_id}/lessons", response_model=Page[LessonOut]
)
async def list_lessons(
    course_id: str, access: LessonList, session: SessionDep, page: PageDep
) -> Page[LessonOut]:
    """The course's schedule in time order."""
    course = await service.visible_course(session, access, course_id)
    rows, cursor = await service.lesson_page(session, access, course, page)
    await record_access(session, access, (x.teacher_id for x in rows if x.teacher_id))
    return Page(items=[lesson_out(x) for x in rows], next_cursor=cursor)


@courses_router.post(
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
    course = await service.visible_course(session, access, course_id)
    teacher_id = None
    if body.teacher_phone:
        region = ctx.settings.default_region
        teacher_id = await service.teacher_by_phone(
            session, ctx.keys, access.tenant, body.teacher_phone, region
        )
    lesson, created = await service.create_lesson(
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


@courses_router.get("/v1/tenants/{slug}/lessons/{lesson_id}", response_model=LessonOut)
async def read_lesson(lesson_id: str, access: LessonRead, session: SessionDep) -> LessonOut:
    lesson = await service.visible_lesson(session, access, lesson_id)
    await record_access(session, access, [lesson.teacher_id] if lesson.teacher_id else [])
    return lesson_out(lesson)


@courses_router.patch("/v1/tenants/{slug}/lessons/{lesson_id}", response_model=LessonOut)
async def update_lesson(
    lesson_id: str, body: LessonUpdate, access: LessonUpdateAccess, session: SessionDep
) -> LessonOut:
    """Retitle, reschedule or change the status (teachers: lessons of courses they teach)."""
    lesson = await service.visible_lesson(session, access, lesson_id)
    course = await service.course_of_lesson(session, access, lesson)
    await service.update_lesson(session, access.tenant, course, lesson, body)
    changes = body.model_dump(mode="json", exclude_none=True)
    await record_access(session, access, detail={"lesson_id": str(lesson.id), "changes": changes})
    return lesson_out(lesson)


router = APIRouter()
for part in (members_router, courses_router, enrollments_router, issues_router, imports_router):
    router.include_router(part)

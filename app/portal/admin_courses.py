"""School admin pages for courses and lessons: create a course, schedule a lesson, enrol by
pasting phone numbers; the roster routers' services, decisions and audit entries."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.audit import record_access
from app.core.deps import ContextDep, SessionDep
from app.core.pagination import PageParams
from app.core.vocabulary import Action, Purpose, RecordKind
from app.portal.access import access_to, member_in
from app.portal.deps import FormOfSession, SignedIn
from app.portal.forms import refused
from app.portal.i18n import gettext_for
from app.portal.render import language, page
from app.portal.routing import PortalRoute
from app.roster import service as roster
from app.roster.enrollments import service as enrolments
from app.roster.schemas import CourseCreate, EnrollmentBatch, LessonCreate

router = APIRouter(
    prefix="/portal/s/{slug}/admin", route_class=PortalRoute, include_in_schema=False
)
MANAGE = Purpose.TEACHING_MANAGEMENT
ALL = PageParams(limit=200, cursor=None)


async def _courses_page(
    request: Request, session: AsyncSession, slug: str, me: Any, errors: dict[str, str]
) -> Response:
    member = await member_in(session, me.account, slug)
    access = await access_to(request, session, member, RecordKind.COURSE, Action.LIST, MANAGE)
    courses, _cursor = await roster.course_page(session, access, ALL)
    await record_access(session, access, detail={"count": len(courses)})
    status = 422 if errors else 200
    return page(request, "admin/courses.html", status=status, tenant=member.tenant,
                courses=courses, errors=errors)  # fmt: skip


@router.get("/courses")
async def course_list(request: Request, slug: str, me: SignedIn, session: SessionDep) -> Response:
    return await _courses_page(request, session, slug, me, {})


@router.post("/courses")
async def create_course(
    request: Request,
    slug: str,
    me: FormOfSession,
    session: SessionDep,
    code: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    starts_on: Annotated[str, Form()] = "",
    ends_on: Annotated[str, Form()] = "",
) -> Response:
    member = await member_in(session, me.account, slug)
    access = await access_to(request, session, member, RecordKind.COURSE, Action.CREATE, MANAGE)

    async def work() -> None:
        body = CourseCreate.model_validate(
            {"code": code, "name": name, "starts_on": starts_on, "ends_on": ends_on}
        )
        course, _created = await roster.create_course(session, access.tenant, body)
        await record_access(session, access, detail={"course_id": str(course.id)})

    errors = await refused(request, session, work)
    if errors:
        return await _courses_page(request, session, slug, me, errors)
    return RedirectResponse(f"/portal/s/{slug}/admin/courses", status_code=303)


async def _course_page(
    request: Request, session: AsyncSession, slug: str, me: Any, course_id: str,
    errors: dict[str, str], outcomes: list[Any] | None = None,
) -> Response:  # fmt: skip
    member = await member_in(session, me.account, slug)
    access = await access_to(request, session, member, RecordKind.LESSON, Action.LIST, MANAGE)
    course = await roster.visible_course(session, access, course_id)
    lessons, _cursor = await roster.lesson_page(session, access, course, ALL)
    await record_access(session, access, (x.teacher_id for x in lessons if x.teacher_id))
    status = 422 if errors else 200
    return page(request, "admin/course.html", status=status, tenant=member.tenant,
                course=course, lessons=lessons, errors=errors, outcomes=outcomes)  # fmt: skip


@router.get("/courses/{course_id}")
async def course(
    request: Request, slug: str, course_id: str, me: SignedIn, session: SessionDep
) -> Response:
    return await _course_page(request, session, slug, me, course_id, {})


@router.post("/courses/{course_id}/lessons")
async def schedule_lesson(
    request: Request,
    slug: str,
    course_id: str,
    me: FormOfSession,
    session: SessionDep,
    ctx: ContextDep,
    title: Annotated[str, Form()] = "",
    starts_at: Annotated[str, Form()] = "",
    duration_minutes: Annotated[str, Form()] = "",
    teacher_phone: Annotated[str, Form()] = "",
) -> Response:
    member = await member_in(session, me.account, slug)
    access = await access_to(request, session, member, RecordKind.LESSON, Action.CREATE, MANAGE)

    async def work() -> None:
        at = starts_at if not starts_at or len(starts_at) > 16 else starts_at + ":00+08:00"
        body = LessonCreate.model_validate(
            {"title": title, "starts_at": at, "duration_minutes": duration_minutes,
             "teacher_phone": teacher_phone or None}
        )  # fmt: skip
        course = await roster.visible_course(session, access, course_id)
        teacher = None
        if body.teacher_phone:
            region = ctx.settings.default_region
            teacher = await roster.teacher_by_phone(
                session, ctx.keys, access.tenant, body.teacher_phone, region
            )
        lesson, _created = await roster.create_lesson(
            session, access.tenant, course, title=body.title, starts_at=body.starts_at,
            duration_minutes=body.duration_minutes, teacher_id=teacher,
        )  # fmt: skip
        await record_access(session, access, [teacher] if teacher else [],
                            detail={"lesson_id": str(lesson.id)})  # fmt: skip

    errors = await refused(request, session, work)
    if errors:
        return await _course_page(request, session, slug, me, course_id, errors)
    return RedirectResponse(f"/portal/s/{slug}/admin/courses/{course_id}", status_code=303)


@router.post("/courses/{course_id}/enrollments")
async def enrol(
    request: Request,
    slug: str,
    course_id: str,
    me: FormOfSession,
    session: SessionDep,
    ctx: ContextDep,
    phones: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "student",
) -> Response:
    """One phone number a line (or separated by commas); all or nothing, as the API."""
    member = await member_in(session, me.account, slug)
    access = await access_to(request, session, member, RecordKind.ENROLLMENT, Action.CREATE, MANAGE)
    numbers = [p.strip() for p in phones.replace(",", "\n").splitlines() if p.strip()]
    done: list[Any] = []

    async def work() -> None:
        batch = EnrollmentBatch.model_validate(
            {"entries": [{"phone": n, "role": role} for n in numbers]}
        )
        course = await roster.visible_course(session, access, course_id)
        outcomes, touched = await enrolments.enroll(
            session, ctx.keys, access.tenant, access.account_id, course, batch,
            ctx.settings.default_region,
        )  # fmt: skip
        await record_access(session, access, touched, detail={"course_id": str(course.id)})
        done.extend(outcomes)

    errors = await refused(request, session, work)
    if errors:
        _ = gettext_for(language(request))
        reason = next(iter(errors.values()))
        errors = {"phones": _("Enrolment refused; nobody was enrolled:") + " " + reason}
    return await _course_page(request, session, slug, me, course_id, errors, done)

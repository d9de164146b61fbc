"""Enrolments of a school: add people to a course by phone number, list them, take them off."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from app.authz.access import Access
from app.authz.audit import record_access
from app.authz.deps import Authorize
from app.core.deps import ContextDep, SessionDep
from app.core.pagination import Page, PageParams, page_params
from app.core.vocabulary import Action, Purpose, RecordKind
from app.roster import service as courses
from app.roster.enrollments import service
from app.roster.enrollments.service import EnrollmentRow
from app.roster.schemas import EnrollmentBatch, EnrollmentBatchOut, EnrollmentOut

router = APIRouter(tags=["roster"])
PageDep = Annotated[PageParams, Depends(page_params)]


def _enrollment(action: Action) -> Authorize:
    return Authorize(RecordKind.ENROLLMENT, action, purpose=Purpose.TEACHING_MANAGEMENT)


EnrollmentList = Annotated[Access, Depends(_enrollment(Action.LIST))]
EnrollmentCreate = Annotated[Access, Depends(_enrollment(Action.CREATE))]
EnrollmentDelete = Annotated[Access, Depends(_enrollment(Action.DELETE))]


def enrollment_out(row: EnrollmentRow) -> EnrollmentOut:
    e, a = row
    return EnrollmentOut(
        id=e.id,
        course_id=e.course_id,
        account_id=e.account_id,
        role=e.role,
        status=e.status,
        display_name=a.display_name,
        phone_masked=a.phone_masked,
        created_at=e.created_at,
    )


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
    course = await courses.visible_course(session, access, course_id)
    outcomes, touched = await service.enroll(
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


@router.get(
    "/v1/tenants/{slug}/courses/{course_id}/enrollments", response_model=Page[EnrollmentOut]
)
async def list_course_enrollments(
    course_id: str, access: EnrollmentList, session: SessionDep, page: PageDep
) -> Page[EnrollmentOut]:
    course = await service.course_of_enrollments(session, access, course_id)
    rows, cursor = await service.enrollment_page(session, access, page, course=course)
    items = [enrollment_out(row) for row in rows]
    await record_access(session, access, (i.account_id for i in items))
    return Page(items=items, next_cursor=cursor)


@router.get("/v1/tenants/{slug}/enrollments", response_model=Page[EnrollmentOut])
async def list_enrollments(
    access: EnrollmentList, session: SessionDep, page: PageDep
) -> Page[EnrollmentOut]:
    """Every enrolment the caller may see (a student: their own; a guardian: their children's)."""
    rows, cursor = await service.enrollment_page(session, access, page)
    items = [enrollment_out(row) for row in rows]
    await record_access(session, access, (i.account_id for i in items))
    return Page(items=items, next_cursor=cursor)


@router.delete(
    "/v1/tenants/{slug}/courses/{course_id}/enrollments/{enrollment_id}", status_code=204
)
async def remove_enrollment(
    course_id: str, enrollment_id: str, access: EnrollmentDelete, session: SessionDep
) -> Response:
    """Takes the person off the course (SCH-3): their access to it stops now."""
    course = await courses.visible_course(session, access, course_id)
    enrollment = await service.enrollment_in_course(session, access, course, enrollment_id)
    changed = service.remove(enrollment)
    await record_access(session, access, [enrollment.account_id], detail={"removed": changed})
    return Response(status_code=204)

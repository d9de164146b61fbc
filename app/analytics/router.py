"""Teacher dashboards over HTTP: a lesson, a course, a lesson's timeline; JSON or CSV."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from app.analytics import exports, scoring, service, timeline
from app.analytics.deps import FormatQuery, ViewOrExport, accesses_for
from app.analytics.schemas import CourseView, LessonView, Timeline
from app.authz.access import Access
from app.authz.audit import record_access
from app.core.csvout import csv_response
from app.core.deps import SessionDep
from app.core.vocabulary import Purpose, RecordKind
from app.tenancy.deps import MemberDep

router = APIRouter(tags=["analytics"])
ANALYTICS = "/v1/tenants/{slug}/analytics"

DashboardAccess = Annotated[
    Access, Depends(ViewOrExport(RecordKind.ROLLUP, Purpose.TEACHING_MANAGEMENT))
]
SCORE_DOC = (
    f"**Activity score** (0-100): {scoring.FORMULA_TEXT}\n\n**Status**: {scoring.STATUS_TEXT}"
)
CSV_DOC = (
    "`?format=csv`: the same rows as CSV (UTF-8 with BOM), one row per student, columns "
    "named as the JSON fields (`user.id`, `user.display_name`, `user.phone_masked`, ...); "
    "cells that a spreadsheet would run as a formula are prefixed with `'`."
)
TIMELINE_KINDS = (
    RecordKind.ATTENDANCE,
    RecordKind.BEHAVIOUR,
    RecordKind.TOOL_USE,
    RecordKind.TEACHER_ACTION,
)


@router.get(
    ANALYTICS + "/lessons/{lesson_id}",
    response_model=LessonView,
    description=f"Each enrolled student of the lesson's course.\n\n{SCORE_DOC}\n\n{CSV_DOC}",
    responses={200: {"content": {"text/csv": {}}}},
)
async def lesson_view(
    access: DashboardAccess, session: SessionDep, lesson_id: str, output: FormatQuery = "json"
) -> LessonView | Response:
    view = await service.lesson_view(session, access, lesson_id)
    subjects = [row.user.id for row in view.items]
    await record_access(session, access, subjects, detail={"lesson_id": str(view.lesson.id)})
    if output == "csv":
        rows = exports.lesson_rows(view.items)
        return csv_response(f"lesson-{view.lesson.id}.csv", exports.LESSON_COLUMNS, rows)
    return view


@router.get(
    ANALYTICS + "/courses/{course_id}",
    response_model=CourseView,
    description=(
        "Each student of the course across the lessons held so far (`status` and `lessons`: "
        f"one per lesson, in time order), and the course's trend.\n\n{SCORE_DOC} In the course "
        "view `activity_score` is the mean over the lessons held.\n\n"
        f"**Dropped**: {scoring.DROP_RULE_TEXT}\n\n{CSV_DOC}"
    ),
    responses={200: {"content": {"text/csv": {}}}},
)
async def course_view(
    access: DashboardAccess, session: SessionDep, course_id: str, output: FormatQuery = "json"
) -> CourseView | Response:
    view = await service.course_view(session, access, course_id)
    subjects = [row.user.id for row in view.items]
    await record_access(session, access, subjects, detail={"course_id": str(view.course.id)})
    if output == "csv":
        rows = exports.course_rows(view.items)
        return csv_response(f"course-{view.course.code}.csv", exports.COURSE_COLUMNS, rows)
    # 800 cells: serialised once by pydantic (the response model above documents them).
    return Response(view.model_dump_json(), media_type="application/json")


@router.get(
    ANALYTICS + "/lessons/{lesson_id}/timeline",
    response_model=Timeline,
    description=(
        "Per person: the intervals online, on stage, camera on and microphone on, and the "
        "point events (hand raises, rewards, answers, removals, tool use); the teacher's "
        "actions; the lesson's start and end. Intervals still open are closed at the end."
    ),
)
async def lesson_timeline(
    request: Request, member: MemberDep, session: SessionDep, lesson_id: str
) -> Timeline:
    accesses = await accesses_for(
        request, session, member, TIMELINE_KINDS, Purpose.TEACHING_MANAGEMENT
    )
    drawn, events = await timeline.lesson_timeline(session, accesses, lesson_id)
    for access in accesses:
        subjects = {e.account_id for e in events if e.record_kind == access.record_kind}
        await record_access(session, access, subjects, detail={"lesson_id": str(drawn.lesson.id)})
    return drawn

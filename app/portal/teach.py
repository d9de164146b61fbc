"""Teacher pages: my courses -> course view -> lesson view (timeline, recordings) -> CSV.

Each page calls the same services with the same decisions and purposes as the analytics,
roster and recordings routers, and audits the read the same way.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics import exports, timeline
from app.analytics import service as analytics
from app.analytics.deps import accesses_for
from app.analytics.router import TIMELINE_KINDS
from app.authz.audit import record_access
from app.classroom.files import service as files
from app.classroom.models import LessonFile
from app.core.csvout import csv_response
from app.core.deps import ContextDep, SessionDep
from app.core.errors import Forbidden
from app.core.pagination import PageParams
from app.core.vocabulary import Action, Purpose, RecordKind
from app.portal.access import access_to, member_in
from app.portal.charts import line_chart, minutes_of, timeline_chart
from app.portal.deps import SignedIn
from app.portal.i18n import gettext_for
from app.portal.render import language, page
from app.portal.routing import PortalRoute
from app.roster import service as roster
from app.tenancy.deps import Member

router = APIRouter(prefix="/portal/s/{slug}", route_class=PortalRoute, include_in_schema=False)
MANAGE = Purpose.TEACHING_MANAGEMENT
RECORDING = files.RECORDING  # the kind column says "recording"


@router.get("/teach/")
async def my_courses(request: Request, slug: str, me: SignedIn, session: SessionDep) -> Response:
    member = await member_in(session, me.account, slug)
    access = await access_to(request, session, member, RecordKind.COURSE, Action.LIST, MANAGE)
    courses, _cursor = await roster.course_page(session, access, PageParams(limit=200, cursor=None))
    await record_access(session, access, detail={"count": len(courses)})
    return page(request, "teach/courses.html", tenant=member.tenant, courses=courses)


@router.get("/teach/courses/{course_id}")
async def course(
    request: Request, slug: str, course_id: str, me: SignedIn, session: SessionDep
) -> Response:
    member = await member_in(session, me.account, slug)
    csv = request.query_params.get("format") == "csv"
    action = Action.EXPORT if csv else Action.LIST
    access = await access_to(request, session, member, RecordKind.ROLLUP, action, MANAGE)
    view = await analytics.course_view(session, access, course_id)
    subjects = [row.user.id for row in view.items]
    await record_access(session, access, subjects, detail={"course_id": str(view.course.id)})
    if csv:
        rows = exports.course_rows(view.items)
        return csv_response(f"course-{view.course.code}.csv", exports.COURSE_COLUMNS, rows)
    _ = gettext_for(language(request))
    chart = line_chart(
        [round(p.attendance_rate * 100, 1) for p in view.trend], 100, _("Attendance trend")
    )
    dropped = [row for row in view.items if row.dropped]
    return page(
        request, "teach/course.html", tenant=member.tenant, view=view, chart=chart, dropped=dropped
    )


@router.get("/teach/lessons/{lesson_id}")
async def lesson(
    request: Request, slug: str, lesson_id: str, me: SignedIn, session: SessionDep
) -> Response:
    member = await member_in(session, me.account, slug)
    csv = request.query_params.get("format") == "csv"
    action = Action.EXPORT if csv else Action.LIST
    access = await access_to(request, session, member, RecordKind.ROLLUP, action, MANAGE)
    view = await analytics.lesson_view(session, access, lesson_id)
    subjects = [row.user.id for row in view.items]
    await record_access(session, access, subjects, detail={"lesson_id": str(view.lesson.id)})
    if csv:
        rows = exports.lesson_rows(view.items)
        return csv_response(f"lesson-{view.lesson.id}.csv", exports.LESSON_COLUMNS, rows)
    accesses = await accesses_for(request, session, member, TIMELINE_KINDS, MANAGE)
    drawn, events = await timeline.lesson_timeline(session, accesses, lesson_id)
    for each in accesses:
        seen = {e.account_id for e in events if e.record_kind == each.record_kind}
        await record_access(session, each, seen, detail={"lesson_id": str(drawn.lesson.id)})
    recordings = await _recordings(request, session, member, lesson_id)
    may_grant = bool(recordings) and await _may_grant(request, session, member)
    _ = gettext_for(language(request))
    return page(
        request,
        "teach/lesson.html",
        tenant=member.tenant,
        view=view,
        drawn=drawn,
        chart=timeline_chart(drawn, _("Lesson timeline")),
        minutes_of=minutes_of,
        recordings=recordings,
        may_grant=may_grant,
    )


async def _recordings(
    request: Request, session: AsyncSession, member: Member, lesson_id: str
) -> list[LessonFile]:
    """The lesson's recordings this person may watch (none if the role reads none)."""
    try:
        access = await access_to(
            request, session, member, RecordKind.RECORDING, Action.LIST, MANAGE
        )
    except Forbidden:
        return []
    rows, _cursor = await files.list_files(
        session, access, lesson_id, RECORDING, PageParams(limit=50, cursor=None)
    )
    return rows


async def _may_grant(request: Request, session: AsyncSession, member: Member) -> bool:
    try:
        await access_to(request, session, member, RecordKind.RECORDING, Action.GRANT, MANAGE)
    except Forbidden:
        return False
    return True


@router.get("/recordings/{file_id}")
async def recording(
    request: Request, slug: str, file_id: str, me: SignedIn, session: SessionDep, ctx: ContextDep
) -> Response:
    """Played in the page from a short-lived signed link (the read is audited)."""
    member = await member_in(session, me.account, slug)
    access = await access_to(request, session, member, RecordKind.RECORDING, Action.READ, MANAGE)
    file = await files.visible_file(session, access, file_id, RECORDING)
    url, expires = await files.link_for(session, ctx.settings, ctx.keys, access, file)
    return page(
        request, "teach/recording.html", tenant=member.tenant, file=file, url=url, expires=expires
    )

"""School reports in the portal: the course report (purpose teaching_management) and the
teaching-quality report (purpose teaching_quality, PUR-12), each an SVG chart with its
numbers in a table beside it; the reports router's services, decisions and audit."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.analytics import reports
from app.authz.audit import record_access
from app.core.deps import SessionDep
from app.core.vocabulary import Action, Purpose, RecordKind
from app.portal.access import access_to, member_in
from app.portal.charts import bar_chart
from app.portal.deps import SignedIn
from app.portal.i18n import gettext_for
from app.portal.render import language, page
from app.portal.routing import PortalRoute

router = APIRouter(
    prefix="/portal/s/{slug}/admin/reports", route_class=PortalRoute, include_in_schema=False
)


@router.get("/courses")
async def course_report(request: Request, slug: str, me: SignedIn, session: SessionDep) -> Response:
    """GET /v1/tenants/{slug}/reports/courses: attendance rate per course, charted."""
    member = await member_in(session, me.account, slug)
    access = await access_to(
        request, session, member, RecordKind.REPORT, Action.LIST, Purpose.TEACHING_MANAGEMENT
    )
    report, teachers = await reports.course_report(session, access)
    await record_access(session, access, teachers, detail={"report": "courses"})
    _ = gettext_for(language(request))
    rates = [round((row.attendance_rate or 0.0) * 100, 1) for row in report.items]
    chart = bar_chart(rates, 100, _("Attendance rate by course (%)"))
    return page(request, "admin/report_courses.html", tenant=member.tenant, report=report,
                chart=chart)  # fmt: skip


@router.get("/teaching-quality")
async def teaching_quality(
    request: Request, slug: str, me: SignedIn, session: SessionDep
) -> Response:
    """GET /v1/tenants/{slug}/reports/teaching-quality: lessons per teacher, charted."""
    member = await member_in(session, me.account, slug)
    access = await access_to(
        request, session, member, RecordKind.REPORT, Action.LIST, Purpose.TEACHING_QUALITY
    )
    report, teachers = await reports.teaching_quality(session, access)
    await record_access(session, access, teachers, detail={"report": "teaching_quality"})
    _ = gettext_for(language(request))
    taught = [float(row.lessons_taught) for row in report.items]
    chart = bar_chart(taught, max([*taught, 1.0]), _("Lessons taught by teacher"))
    return page(request, "admin/report_quality.html", tenant=member.tenant, report=report,
                chart=chart)  # fmt: skip

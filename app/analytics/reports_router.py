"""School reports over HTTP: courses, teaching quality, de-identified statistics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.accounts.deps import StaffAccount
from app.analytics import deidentified as stats
from app.analytics import reports
from app.analytics.report_schemas import CourseReport, DeidentifiedReport, TeachingQualityReport
from app.authz.access import Access
from app.authz.audit import record_access
from app.authz.deps import Authorize
from app.core.deps import SessionDep
from app.core.vocabulary import Action, Purpose, RecordKind
from app.tenancy import repository as tenancy

router = APIRouter(tags=["reports"])
REPORTS = "/v1/tenants/{slug}/reports"

ManagementReport = Annotated[
    Access,
    Depends(Authorize(RecordKind.REPORT, Action.LIST, purpose=Purpose.TEACHING_MANAGEMENT)),
]
QualityReport = Annotated[
    Access, Depends(Authorize(RecordKind.REPORT, Action.LIST, purpose=Purpose.TEACHING_QUALITY))
]
PeriodQuery = Annotated[
    stats.Period, Query(description="day, week (ISO) or term, in the school's time zone")
]


@router.get(
    REPORTS + "/courses",
    response_model=CourseReport,
    description=(
        "Per course in scope: lessons planned and held, planned vs actual start, duration, "
        "students on stage, attendance rate, and quality of service from diagnostics (means "
        f"per lesson, never a person's device). {reports.PROBLEM_RULE}"
    ),
)
async def course_report(access: ManagementReport, session: SessionDep) -> CourseReport:
    report, teachers = await reports.course_report(session, access)
    await record_access(session, access, teachers, detail={"report": "courses"})
    return report


@router.get(
    REPORTS + "/teaching-quality",
    response_model=TeachingQualityReport,
    description="Per teacher: lessons, start delay, courseware use, teacher actions, tool use "
    "(PUR-12; purpose teaching_quality).",
)
async def teaching_quality(access: QualityReport, session: SessionDep) -> TeachingQualityReport:
    report, teachers = await reports.teaching_quality(session, access)
    await record_access(session, access, teachers, detail={"report": "teaching_quality"})
    return report


@router.get(
    REPORTS + "/deidentified",
    response_model=DeidentifiedReport,
    description=(
        "Lesson counts, attendance distribution and participation by tool with no personal "
        f"information: no names, ids or join keys; groups of fewer than {stats.K_ANONYMITY} "
        "people are suppressed (VIS-5/6, PUR-14/15)."
    ),
)
async def deidentified(
    access: ManagementReport, session: SessionDep, period: PeriodQuery = "week"
) -> DeidentifiedReport:
    report = await stats.for_school(session, access, period)
    await record_access(session, access, detail={"report": "deidentified"})
    return report


@router.get(
    "/v1/platform/reports/deidentified",
    response_model=DeidentifiedReport,
    description=(
        "The same statistics over every school, for platform staff (product work on "
        "de-identified usage data, PUR-14; public reports, VIS-5). Schools' counts are added "
        f"up before groups of fewer than {stats.K_ANONYMITY} people are suppressed; each "
        "school's audit log records the read."
    ),
)
async def platform_deidentified(
    staff: StaffAccount, session: SessionDep, period: PeriodQuery = "week"
) -> DeidentifiedReport:
    tenants = await tenancy.all_tenants(session)
    return await stats.for_platform(session, staff, tenants, period)

"""`GET /v1/me/learning-record`: my own record, or (a guardian) a child's; JSON or CSV."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.accounts.deps import CurrentAccount
from app.analytics import exports, record
from app.analytics.deps import FormatQuery, record_decisions, school_of_record
from app.analytics.schemas import LearningRecord
from app.authz.audit import record_access
from app.core.csvout import csv_response
from app.core.deps import SessionDep
from app.tenancy.deps import Member
from app.tenancy.repository import live_roles

router = APIRouter(tags=["me", "analytics"])
SchoolQuery = Annotated[
    str | None, Query(description="the school's slug; needed when you belong to several")
]
StudentQuery = Annotated[str | None, Query(description="a guardian: the child's account id")]


@router.get(
    "/v1/me/learning-record",
    response_model=LearningRecord,
    description=(
        "My courses, timetable (times also in the school's time zone), the lessons held with "
        "my own figures and activity score (formula included), recordings I may watch and my "
        "answers. Classmates appear only as the class saw them live, and only where the "
        "school turned `class_visible` on (VIS-1). `?format=csv`: one row per lesson held."
    ),
    responses={200: {"content": {"text/csv": {}}}},
)
async def my_learning_record(
    request: Request,
    account: CurrentAccount,
    session: SessionDep,
    school: SchoolQuery = None,
    student: StudentQuery = None,
    output: FormatQuery = "json",
) -> LearningRecord | Response:
    tenant = await school_of_record(session, account, school)
    member = Member(
        tenant=tenant, account=account, roles=await live_roles(session, tenant.id, account.id)
    )
    decided = await record_decisions(request, session, member, output == "csv")
    subject = await record.subject_of(session, decided.rollup, student)
    shown, classmates = await record.learning_record(session, decided, subject)
    await record_access(session, decided.rollup, [subject], detail={"view": "learning_record"})
    if decided.class_visible is not None and classmates:
        await record_access(
            session, decided.class_visible, classmates, detail={"view": "learning_record"}
        )
    if output == "csv":
        rows = exports.record_rows(shown.lessons)
        return csv_response(f"learning-record-{tenant.slug}.csv", exports.RECORD_COLUMNS, rows)
    return shown

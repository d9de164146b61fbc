"""HTTP for notices and consents: `/v1/me/notices`, `/v1/me/consents`, a school's notices."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from app.authz.access import Access
from app.authz.deps import Authorize
from app.core.deps import RequestIdDep, SessionDep
from app.core.vocabulary import Action, ConsentCategory, Purpose, RecordKind
from app.privacy import consent, notices
from app.privacy.deps import SubjectDep
from app.privacy.schemas import ConsentList, ConsentOut, NoticeIn, NoticeList, NoticeOut

router = APIRouter(tags=["privacy"])
CategoryPath = Annotated[ConsentCategory, Path(description="a consent category")]
SchoolQuery = Annotated[
    str | None, Query(max_length=64, description="only this school (default: every school)")
]
ListNotices = Annotated[
    Access, Depends(Authorize(RecordKind.NOTICE, Action.LIST, purpose=Purpose.ACCOUNT))
]
PublishNotice = Annotated[
    Access, Depends(Authorize(RecordKind.NOTICE, Action.CREATE, purpose=Purpose.ACCOUNT))
]


@router.get("/v1/me/notices", response_model=NoticeList)
async def my_notices(subject: SubjectDep, session: SessionDep) -> NoticeList:
    """Every version of the platform's and my schools' notices; pending ones first."""
    states = await notices.notices_for(session, subject)
    return NoticeList(items=[NoticeOut.of(s) for s in states])


@router.post("/v1/me/notices/{notice_id}/accept", response_model=NoticeOut)
async def accept_notice(
    notice_id: str, subject: SubjectDep, session: SessionDep, request_id: RequestIdDep
) -> NoticeOut:
    return NoticeOut.of(await notices.accept(session, subject, notice_id, request_id or None))


@router.get("/v1/me/consents", response_model=ConsentList)
async def my_consents(
    subject: SubjectDep, session: SessionDep, school: SchoolQuery = None
) -> ConsentList:
    states = await consent.consents_of(session, subject, school)
    return ConsentList(items=[ConsentOut.of(s) for s in states])


@router.post("/v1/me/consents/{category}/withdraw", response_model=ConsentList)
async def withdraw_consent(
    category: CategoryPath,
    subject: SubjectDep,
    session: SessionDep,
    request_id: RequestIdDep,
    school: SchoolQuery = None,
) -> ConsentList:
    states = await consent.withdraw(session, subject, category, school, request_id or None)
    return ConsentList(items=[ConsentOut.of(s) for s in states])


@router.post("/v1/me/consents/{category}/grant", response_model=ConsentList)
async def grant_consent(
    category: CategoryPath,
    subject: SubjectDep,
    session: SessionDep,
    request_id: RequestIdDep,
    school: SchoolQuery = None,
) -> ConsentList:
    states = await consent.grant(session, subject, category, school, request_id or None)
    return ConsentList(items=[ConsentOut.of(s) for s in states])


@router.get("/v1/tenants/{slug}/notices", response_model=NoticeList)
async def school_notices(access: ListNotices, session: SessionDep) -> NoticeList:
    """Every published version with its dates (POL-6)."""
    states = await notices.school_versions(session, access.tenant)
    return NoticeList(items=[NoticeOut.of(s) for s in states])


@router.post("/v1/tenants/{slug}/notices", response_model=NoticeOut, status_code=201)
async def publish_notice(
    body: NoticeIn, access: PublishNotice, session: SessionDep, response: Response
) -> NoticeOut:
    """A new version; publishing a version that exists answers 200 with it, unchanged."""
    notice, created = await notices.publish_school_notice(
        session,
        access.tenant,
        body.version,
        title=body.title,
        summary=body.summary,
        effective_on=body.effective_on,
        reduces_rights=body.reduces_rights,
    )
    if not created:
        response.status_code = 200
    states = await notices.school_versions(session, access.tenant)
    return NoticeOut.of(next(s for s in states if s.notice.id == notice.id))

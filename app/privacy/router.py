"""HTTP for notices and consents: `/v1/me/notices`, `/v1/me/consents`, a school's notices."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from app.accounts.deps import CurrentAccount
from app.authz.access import Access
from app.authz.deps import Authorize
from app.core.deps import RequestIdDep, SessionDep
from app.core.ids import parse_id
from app.core.vocabulary import Action, ConsentCategory, Purpose, RecordKind
from app.privacy import consent, messages, notices
from app.privacy.deps import SubjectDep
from app.privacy.schemas import (
    ConsentList,
    ConsentOut,
    LanguageIn,
    NoticeIn,
    NoticeList,
    NoticeOut,
)
from app.privacy.subjects import Subject

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
    """Messages to me (incidents, shutdown, a leaving school) unread first, then every version
    of the platform's and my schools' notices, pending ones first."""
    personal = await messages.notices_of(session, subject.account.id)
    states = await notices.notices_for(session, subject)
    items = [NoticeOut.of_personal(p, _slug(subject, p.school_id)) for p in personal]
    return NoticeList(items=items + [NoticeOut.of(s) for s in states])


def _slug(subject: Subject, school_id: object) -> str | None:
    return next((t.slug for t in subject.tenants() if t.id == school_id), None)


@router.post("/v1/me/notices/{notice_id}/accept", response_model=NoticeOut)
async def accept_notice(
    notice_id: str, subject: SubjectDep, session: SessionDep, request_id: RequestIdDep
) -> NoticeOut:
    """Accept a notice version, or acknowledge a message to me."""
    wanted = parse_id(notice_id)
    read = await messages.acknowledge(session, subject.account.id, wanted) if wanted else None
    if read is not None:
        return NoticeOut.of_personal(read, _slug(subject, read.school_id))
    return NoticeOut.of(await notices.accept(session, subject, notice_id, request_id or None))


@router.put("/v1/me/language", status_code=204)
async def set_language(body: LanguageIn, account: CurrentAccount, session: SessionDep) -> Response:
    """The language (zh or en) my notices and messages are written in."""
    await messages.set_language(session, account, body.language)
    return Response(status_code=204)


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

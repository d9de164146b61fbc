"""HTTP for rights requests: the person's (`/v1/me/requests`), the school's, the platform's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.responses import StreamingResponse

from app.accounts.deps import CurrentAccount
from app.authz.access import Access
from app.authz.deps import Authorize
from app.core.deps import ContextDep, RequestIdDep, SessionDep
from app.core.errors import NotFound
from app.core.pagination import PageParams, page_params
from app.core.vocabulary import Action, Purpose, RecordKind
from app.privacy.deps import SubjectDep
from app.rights import handling, service
from app.rights.deps import CalendarDep
from app.rights.export import repository as export_repository
from app.rights.export.router import download_response
from app.rights.handling import Flag
from app.rights.schemas import (
    DecideIn,
    RequestIn,
    RequestOut,
    RequestPage,
    SchoolRequestOut,
    SchoolRequestPage,
)
from app.rights.views import request_out, school_request_out

router = APIRouter(tags=["rights"])
PageDep = Annotated[PageParams, Depends(page_params)]
FlagQuery = Annotated[Flag | None, Query(description="due_soon (3 working days) or overdue")]
ListRequests = Annotated[
    Access,
    Depends(Authorize(RecordKind.RIGHTS_REQUEST, Action.LIST, purpose=Purpose.RIGHTS_HANDLING)),
]
DecideRequest = Annotated[
    Access,
    Depends(Authorize(RecordKind.RIGHTS_REQUEST, Action.DECIDE, purpose=Purpose.RIGHTS_HANDLING)),
]


@router.post("/v1/me/requests", response_model=RequestOut, status_code=201)
async def file_request(
    body: RequestIn,
    subject: SubjectDep,
    session: SessionDep,
    ctx: ContextDep,
    calendar: CalendarDep,
    request_id: RequestIdDep,
    response: Response,
    accept_language: Annotated[str | None, Header()] = None,
) -> RequestOut:
    """A rights request, due 15 working days ahead; the same open request again answers 200."""
    language = "en" if (accept_language or "").lower().startswith("en") else "zh"
    filed = await service.file_request(
        session, ctx, calendar, subject, body, request_id or None, language
    )
    if not filed.created:
        response.status_code = 200
    return request_out(calendar, filed)


@router.get("/v1/me/requests", response_model=RequestPage)
async def my_requests(
    subject: SubjectDep, session: SessionDep, calendar: CalendarDep, page: PageDep
) -> RequestPage:
    filed, cursor = await service.requests_of(session, calendar, subject, page)
    return RequestPage(items=[request_out(calendar, f) for f in filed], next_cursor=cursor)


@router.get("/v1/me/requests/{request_id}", response_model=RequestOut)
async def my_request(
    request_id: str, subject: SubjectDep, session: SessionDep, calendar: CalendarDep
) -> RequestOut:
    filed = await service.load(session, subject, request_id)
    await service.refresh_due(session, calendar, filed)
    return request_out(calendar, filed)


@router.get("/v1/me/requests/{request_id}/download", response_class=StreamingResponse)
async def my_request_download(
    request_id: str, subject: SubjectDep, session: SessionDep, ctx: ContextDep
) -> StreamingResponse:
    """The access export an access request started: 409 until it is ready (RGT-1/2)."""
    filed = await service.load(session, subject, request_id)
    export = await export_repository.export_for_request(session, filed.request.id)
    if export is None:
        raise NotFound("this request has no export", field="request_id")
    return await download_response(session, ctx, subject.actor, export)


@router.get("/v1/tenants/{slug}/requests", response_model=SchoolRequestPage)
async def school_requests(
    access: ListRequests,
    session: SessionDep,
    calendar: CalendarDep,
    page: PageDep,
    flag: FlagQuery = None,
) -> SchoolRequestPage:
    """The parts routed to this school as controller, newest first."""
    rows, cursor = await handling.school_requests(session, calendar, access, flag, page)
    items = [school_request_out(calendar, part, request) for part, request in rows]
    return SchoolRequestPage(items=items, next_cursor=cursor)


@router.post("/v1/tenants/{slug}/requests/{part_id}/decide", response_model=SchoolRequestOut)
async def decide_school_request(
    part_id: str,
    body: DecideIn,
    access: DecideRequest,
    session: SessionDep,
    calendar: CalendarDep,
) -> SchoolRequestOut:
    part, request, _ = await handling.decide_school_part(session, access, part_id, body)
    return school_request_out(calendar, part, request)


@router.get("/v1/platform/requests", response_model=RequestPage)
async def platform_requests(
    account: CurrentAccount,
    session: SessionDep,
    calendar: CalendarDep,
    page: PageDep,
    flag: FlagQuery = None,
) -> RequestPage:
    """Account-level requests Rostra decides as controller (platform staff)."""
    handling.require_staff(account)
    filed, cursor = await handling.platform_requests(session, calendar, flag, page)
    return RequestPage(items=[request_out(calendar, f) for f in filed], next_cursor=cursor)


@router.post("/v1/platform/requests/{request_id}/decide", response_model=RequestOut)
async def decide_platform_request(
    request_id: str,
    body: DecideIn,
    account: CurrentAccount,
    session: SessionDep,
    calendar: CalendarDep,
) -> RequestOut:
    handling.require_staff(account)
    filed, _ = await handling.decide_platform_part(session, account, request_id, body)
    return request_out(calendar, filed)

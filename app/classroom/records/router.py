"""A lesson's records over HTTP: events (per purpose), attendance spans, rollups."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from app.authz.access import Access
from app.authz.deps import Authorize, PurposeQuery
from app.classroom.records import service
from app.classroom.records.deps import event_accesses
from app.classroom.records.schemas import EventOut, PersonOut, RollupOut, SpanOut
from app.core.deps import SessionDep
from app.core.fields import ApiDateTime
from app.core.pagination import Page, PageParams, page_params
from app.core.vocabulary import Action, Purpose, RecordKind
from app.tenancy.deps import MemberDep

router = APIRouter(tags=["classroom"])

LESSON = "/v1/tenants/{slug}/lessons/{lesson_id}"

EventKind = Annotated[str | None, Query(description="only this event kind")]
EventPerson = Annotated[str | None, Query(description="only this account id")]
EventsFrom = Annotated[ApiDateTime | None, Query(alias="from", description="at or after")]
EventsTo = Annotated[ApiDateTime | None, Query(alias="to", description="before")]
Paging = Annotated[PageParams, Depends(page_params)]


@router.get(LESSON + "/events", response_model=Page[EventOut])
async def list_events(
    request: Request,
    member: MemberDep,
    session: SessionDep,
    lesson_id: str,
    page: Paging,
    purpose: PurposeQuery = None,
    kind: EventKind = None,
    person: EventPerson = None,
    since: EventsFrom = None,
    until: EventsTo = None,
) -> Page[EventOut]:
    chosen = purpose or Purpose.TEACHING_MANAGEMENT
    accesses = await event_accesses(request, session, member, chosen, kind)
    rows, cursor = await service.list_events(
        session, member.tenant.id, lesson_id, accesses, page,
        kind=kind, person=person, since=since, until=until,
    )  # fmt: skip
    return Page(items=[EventOut.of(r) for r in rows], next_cursor=cursor)


AttendanceAccess = Annotated[
    Access,
    Depends(Authorize(RecordKind.ATTENDANCE, Action.LIST, purpose=Purpose.TEACHING_MANAGEMENT)),
]
RollupAccess = Annotated[
    Access,
    Depends(Authorize(RecordKind.ROLLUP, Action.LIST, purpose=Purpose.TEACHING_MANAGEMENT)),
]


@router.get(LESSON + "/attendance", response_model=Page[SpanOut])
async def list_attendance(
    access: AttendanceAccess, session: SessionDep, lesson_id: str, page: Paging
) -> Page[SpanOut]:
    rows, cursor = await service.list_spans(session, access, lesson_id, page)
    items = [SpanOut.of(row[0], PersonOut.of(row)) for row in rows]
    return Page(items=items, next_cursor=cursor)


@router.get(LESSON + "/rollups", response_model=Page[RollupOut])
async def list_rollups(
    access: RollupAccess, session: SessionDep, lesson_id: str, page: Paging
) -> Page[RollupOut]:
    rows, cursor = await service.list_rollups(session, access, lesson_id, page)
    items = [RollupOut.of(row[0], PersonOut.of(row)) for row in rows]
    return Page(items=items, next_cursor=cursor)

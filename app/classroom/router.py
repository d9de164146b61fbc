"""Classroom HTTP: event batches from a school's API key, and the lesson's records to read."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz import audit
from app.authz.access import Access
from app.authz.audit import record_access
from app.authz.deps import ApiKeyClient, Authorize, PurposeQuery, PurposeRefused
from app.classroom import ingest, reads
from app.classroom.events import KINDS
from app.classroom.models import AttendanceSpan, ClassroomEvent, LessonRollup
from app.classroom.schemas import EventOut, IngestAnswer, PersonOut, RollupOut, SpanOut
from app.core.deps import KeysDep, SessionDep, SettingsDep
from app.core.errors import Forbidden, Invalid, NotFound
from app.core.ids import parse_id
from app.core.pagination import Page, PageParams, encode_cursor, page_params
from app.tenancy.deps import MemberDep

router = APIRouter(tags=["classroom"])

# The event record kinds each purpose of a read returns (DESIGN.md, purpose binding).
PURPOSE_EVENT_KINDS: dict[str, tuple[str, ...]] = {
    "teaching_management": ("attendance", "behaviour", "tool_use"),
    "learning_record": ("attendance", "behaviour", "tool_use"),
    "teaching_quality": ("teacher_action", "courseware_use"),
    "technical_support": ("diagnostics",),
    "security": ("diagnostics",),
}
LESSON = "/v1/tenants/{slug}/lessons/{lesson_id}"


@router.post(
    "/v1/ingest/events",
    status_code=202,
    response_model=IngestAnswer,
    tags=["ingestion"],
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
            "required": True,
        }
    },
)
async def ingest_events(
    request: Request,
    client: ApiKeyClient,
    session: SessionDep,
    keys: KeysDep,
    settings: SettingsDep,
) -> JSONResponse:
    """A batch of up to 5,000 events (JSON `{events: [...]}` or NDJSON, gzip allowed)."""
    raw = ingest.parse_body(
        await request.body(),
        request.headers.get("content-type", ""),
        request.headers.get("content-encoding"),
    )
    result = await ingest.ingest(
        session, keys, client.tenant_id, raw, region=settings.default_region
    )
    if result.accepted:
        await audit.record(
            session,
            tenant_id=client.tenant_id,
            actor_id=None,
            actor_kind="api_key",
            record_kind="classroom_event",
            action="create",
            purpose=None,
            subjects=result.subjects,
            request_id=getattr(request.state, "request_id", None),
            detail={"api_key_id": str(client.key_id), "accepted": result.accepted},
        )
    body = {"accepted": result.accepted, "duplicates": result.duplicates}
    return JSONResponse({**body, "dropped": result.dropped}, status_code=202)


def _person(row: Any) -> PersonOut:
    return PersonOut(
        id=row.person_id,
        display_name=row.school_name or row.account_name,
        phone_masked=row.phone_masked,
    )


def _time_cursor(page: PageParams) -> tuple[datetime, uuid.UUID] | None:
    if not page.cursor:
        return None
    try:
        at, last = datetime.fromisoformat(str(page.cursor[0])), parse_id(str(page.cursor[1]))
    except (ValueError, IndexError):
        raise Invalid("cursor", "not a cursor this API issued") from None
    if last is None or at.tzinfo is None:
        raise Invalid("cursor", "not a cursor this API issued")
    return at, last


async def event_accesses(
    request: Request, session: SessionDep, member: MemberDep, purpose: str, kind: str | None
) -> list[Access]:
    """One decision per record kind the purpose returns; kinds the role may not read drop out."""
    kinds = PURPOSE_EVENT_KINDS.get(purpose)
    if kinds is None:
        raise PurposeRefused(f"purpose '{purpose}' covers no classroom events", field="purpose")
    if kind is not None:
        spec = KINDS.get(kind)
        if spec is None:
            raise Invalid("kind", f"unknown event kind {kind[:64]!r}")
        if spec.record_kind.value not in kinds:
            raise PurposeRefused(
                f"purpose '{purpose}' does not cover {spec.record_kind.value} events",
                field="purpose",
            )
        kinds = (spec.record_kind.value,)
    accesses: list[Access] = []
    for record_kind in kinds:
        try:
            decide = Authorize(record_kind, "list", purpose=purpose)
            decided = await decide(request=request, session=session, member=member, purpose=purpose)
            accesses.append(decided)
        except Forbidden:
            continue
    if not accesses:
        raise Forbidden(f"your role may not list {', '.join(kinds)} records")
    return accesses


async def lesson_events(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    lesson_id: str,
    accesses: Sequence[Access],
    page: PageParams,
    *,
    kind: str | None,
    person: str | None,
    since: datetime | None,
    until: datetime | None,
) -> tuple[uuid.UUID, Sequence[ClassroomEvent], str | None]:
    """(lesson, a page of its events within `accesses`, next cursor); 404 for a lesson
    outside every access, 422 naming a bad filter."""
    parsed = parse_id(lesson_id)
    if parsed is None:
        raise NotFound("no such lesson")
    person_id = parse_id(person) if person is not None else None
    if person is not None and person_id is None:
        raise Invalid("person", "not an account id")
    for name, value in (("from", since), ("to", until)):
        if value is not None and value.tzinfo is None:
            raise Invalid(name, "give a time zone (RFC 3339)")
    rows = await reads.list_events(
        session,
        tenant_id,
        parsed,
        accesses,
        kind=kind,
        person=person_id,
        since=since,
        until=until,
        after=_time_cursor(page),
        limit=page.limit + 1,
    )
    if not rows:  # no events, or no lesson this caller may see
        await reads.visible_lesson(session, tenant_id, lesson_id, accesses)
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    cursor = encode_cursor([rows[-1].at.isoformat(), str(rows[-1].id)]) if more else None
    return parsed, rows, cursor


def events_page(rows: Sequence[ClassroomEvent], cursor: str | None) -> Page[EventOut]:
    items = [
        EventOut(
            id=r.id,
            client_id=r.client_id,
            lesson=r.lesson_id,
            user=r.account_id,
            at=r.at,
            kind=r.kind,
            record_kind=r.record_kind,
            data=r.data,
            ip_prefix=r.ip_prefix,
        )
        for r in rows
    ]
    return Page(items=items, next_cursor=cursor)


EventKind = Annotated[str | None, Query(description="only this event kind")]
EventPerson = Annotated[str | None, Query(description="only this account id")]
EventsFrom = Annotated[datetime | None, Query(alias="from", description="at or after")]
EventsTo = Annotated[datetime | None, Query(alias="to", description="before")]


@router.get(LESSON + "/events", response_model=Page[EventOut])
async def list_events(
    request: Request,
    member: MemberDep,
    session: SessionDep,
    lesson_id: str,
    page: Annotated[PageParams, Depends(page_params)],
    purpose: PurposeQuery = None,
    kind: EventKind = None,
    person: EventPerson = None,
    since: EventsFrom = None,
    until: EventsTo = None,
) -> Page[EventOut]:
    chosen = purpose or "teaching_management"
    accesses = await event_accesses(request, session, member, chosen, kind)
    lesson, rows, cursor = await lesson_events(
        session, member.tenant.id, lesson_id, accesses, page,
        kind=kind, person=person, since=since, until=until,
    )  # fmt: skip
    for access in accesses:
        subjects = {r.account_id for r in rows if r.record_kind == access.record_kind}
        await record_access(session, access, subjects, detail={"lesson_id": str(lesson)})
    return events_page(rows, cursor)


AttendanceAccess = Annotated[
    Access, Depends(Authorize("attendance", "list", purpose="teaching_management"))
]
RollupAccess = Annotated[
    Access, Depends(Authorize("rollup", "list", purpose="teaching_management"))
]


@router.get(LESSON + "/attendance", response_model=Page[SpanOut])
async def list_attendance(
    access: AttendanceAccess,
    session: SessionDep,
    lesson_id: str,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[SpanOut]:
    lesson = await reads.visible_lesson(session, access.tenant_id, lesson_id, [access])
    rows = await reads.list_spans(
        session, lesson, access, after=_time_cursor(page), limit=page.limit + 1
    )
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    spans: list[AttendanceSpan] = [row[0] for row in rows]
    await record_access(
        session, access, (s.account_id for s in spans), detail={"lesson_id": str(lesson.id)}
    )
    items = [
        SpanOut(
            id=span.id,
            user=_person(row),
            joined_at=span.joined_at,
            left_at=span.left_at,
            seconds=round((span.left_at - span.joined_at).total_seconds()),
            leave_reason=span.leave_reason,
            closed_at_lesson_end=span.closed_at_lesson_end,
        )
        for span, row in zip(spans, rows, strict=True)
    ]
    last = spans[-1] if spans else None
    cursor = encode_cursor([last.joined_at.isoformat(), str(last.id)]) if more and last else None
    return Page(items=items, next_cursor=cursor)


@router.get(LESSON + "/rollups", response_model=Page[RollupOut])
async def list_rollups(
    access: RollupAccess,
    session: SessionDep,
    lesson_id: str,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[RollupOut]:
    lesson = await reads.visible_lesson(session, access.tenant_id, lesson_id, [access])
    after = page.after_id()
    rows = await reads.list_rollups(session, lesson, access, after=after, limit=page.limit + 1)
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    rollups: list[LessonRollup] = [row[0] for row in rows]
    await record_access(
        session, access, (r.account_id for r in rollups), detail={"lesson_id": str(lesson.id)}
    )
    items = [
        RollupOut(
            user=_person(row),
            minutes=round(r.attended_seconds / 60, 2),
            joins=r.joins,
            first_join=r.first_join,
            last_leave=r.last_leave,
            hand_raises=r.hand_raises,
            rewards=r.rewards,
            speaking_seconds=r.speaking_ms / 1000,
            camera_seconds=r.camera_seconds,
            stage_seconds=r.stage_seconds,
            answers_correct=r.answers_correct,
            answers_total=r.answers_total,
            counts=r.counts,
        )
        for r, row in zip(rollups, rows, strict=True)
    ]
    cursor = encode_cursor([str(rollups[-1].account_id)]) if more else None
    return Page(items=items, next_cursor=cursor)

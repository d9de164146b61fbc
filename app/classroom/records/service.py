"""A lesson's records for a caller: events per purpose, attendance spans, rollups; audited.

No HTTP and no commit. Each list checks the lesson is one the caller reaches (404 otherwise),
reads one page within the caller's scopes and writes the audit entry of the read.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.authz import audit
from app.authz.access import Access
from app.classroom.kinds import KINDS
from app.classroom.models import ClassroomEvent
from app.classroom.records import repository
from app.classroom.records.repository import EventFilter
from app.classroom.visibility import visible_lesson
from app.core.errors import Invalid, NotFound
from app.core.ids import parse_id
from app.core.pagination import PageParams, paginate
from app.core.policy import get_policy
from app.core.vocabulary import Purpose, RecordKind

# The record kinds events can have, in the order of the event contract.
EVENT_RECORD_KINDS: tuple[RecordKind, ...] = tuple(
    dict.fromkeys(s.record_kind for s in KINDS.values())
)
# Where the events list serves less than purposes.toml covers, and why.
NOT_LISTED_AS_EVENTS: dict[Purpose, frozenset[RecordKind]] = {
    # purposes.toml: only teachers' tool use is meant, and this list cannot filter to it.
    Purpose.TEACHING_QUALITY: frozenset({RecordKind.TOOL_USE}),
    # Support reads entry and exit as attendance spans (/attendance), not as raw events.
    Purpose.TECHNICAL_SUPPORT: frozenset({RecordKind.ATTENDANCE}),
    # A subject's whole record leaves through the access-request export (DESIGN.md).
    Purpose.RIGHTS_HANDLING: frozenset(EVENT_RECORD_KINDS),
}


@functools.cache
def purpose_event_kinds() -> dict[str, tuple[RecordKind, ...]]:
    """The event record kinds each purpose of a read returns, from `policies/purposes.toml`."""
    derived: dict[str, tuple[RecordKind, ...]] = {}
    for purpose, entry in get_policy().purposes.items():
        left_out = NOT_LISTED_AS_EVENTS.get(purpose, frozenset())
        kinds = tuple(k for k in EVENT_RECORD_KINDS if k in entry.kinds and k not in left_out)
        if kinds:
            derived[purpose] = kinds
    return derived


def event_kinds(purpose: str, kind: str | None) -> tuple[RecordKind, ...] | str:
    """The record kinds a read for `purpose` (and of one event `kind`) returns, or why none.

    Raises 422 `kind` for an unknown event kind; a string answer is the refusal's reason.
    """
    kinds = purpose_event_kinds().get(purpose)
    if kinds is None:
        return f"purpose '{purpose}' covers no classroom events"
    if kind is None:
        return kinds
    spec = KINDS.get(kind)
    if spec is None:
        raise Invalid("kind", f"unknown event kind {kind[:64]!r}")
    if spec.record_kind not in kinds:
        return f"purpose '{purpose}' does not cover {spec.record_kind.value} events"
    return (spec.record_kind,)


def _event_filter(
    kind: str | None, person: str | None, since: datetime | None, until: datetime | None
) -> EventFilter:
    """The events list's filters, or 422 naming the one that is wrong."""
    person_id = parse_id(person) if person is not None else None
    if person is not None and person_id is None:
        raise Invalid("person", "not an account id")
    for name, value in (("from", since), ("to", until)):
        if value is not None and value.tzinfo is None:
            raise Invalid(name, "give a time zone (RFC 3339)")
    return EventFilter(kind=kind, person=person_id, since=since, until=until)


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
) -> tuple[uuid.UUID, list[ClassroomEvent], str | None]:
    """(lesson, a page of its events within `accesses`, next cursor); 404 for a lesson
    outside every access, 422 naming a bad filter."""
    parsed = parse_id(lesson_id)
    if parsed is None:
        raise NotFound("no such lesson")
    filters = _event_filter(kind, person, since, until)
    rows = await repository.list_events(
        session, tenant_id, parsed, accesses, filters, after=page.after_time_id(), fetch=page.fetch
    )
    if not rows:  # no events, or no lesson this caller may see
        await visible_lesson(session, tenant_id, lesson_id, accesses)
    items, cursor = paginate(rows, page.limit, lambda r: [r.at.isoformat(), str(r.id)])
    return parsed, items, cursor


async def list_events(
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
) -> tuple[list[ClassroomEvent], str | None]:
    """A page of the lesson's events, with one audit entry per record kind read."""
    lesson, rows, cursor = await lesson_events(
        session, tenant_id, lesson_id, accesses, page,
        kind=kind, person=person, since=since, until=until,
    )  # fmt: skip
    for access in accesses:
        subjects = {r.account_id for r in rows if r.record_kind == access.record_kind}
        await audit.record_access(session, access, subjects, detail={"lesson_id": str(lesson)})
    return rows, cursor


async def list_spans(
    session: AsyncSession, access: Access, lesson_id: str, page: PageParams
) -> tuple[list[Any], str | None]:
    """A page of (span, person) rows of the lesson's attendance; the read is audited."""
    lesson = await visible_lesson(session, access.tenant_id, lesson_id, [access])
    rows = await repository.list_spans(
        session, lesson, access, after=page.after_time_id(), fetch=page.fetch
    )
    items, cursor = paginate(rows, page.limit, lambda r: [r[0].joined_at.isoformat(), str(r[0].id)])
    subjects = (row[0].account_id for row in items)
    await audit.record_access(session, access, subjects, detail={"lesson_id": str(lesson.id)})
    return items, cursor


async def list_rollups(
    session: AsyncSession, access: Access, lesson_id: str, page: PageParams
) -> tuple[list[Any], str | None]:
    """A page of (rollup, person) rows of the lesson; the read is audited."""
    lesson = await visible_lesson(session, access.tenant_id, lesson_id, [access])
    rows = await repository.list_rollups(
        session, lesson, access, after=page.after_id(), fetch=page.fetch
    )
    items, cursor = paginate(rows, page.limit, lambda r: [str(r[0].account_id)])
    subjects = (row[0].account_id for row in items)
    await audit.record_access(session, access, subjects, detail={"lesson_id": str(lesson.id)})
    return items, cursor

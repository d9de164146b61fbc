"""Queries of a lesson's records: each takes the school and the caller's scopes as predicates."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Uuid, and_, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import Account
from app.authz.access import Access
from app.classroom.models import AttendanceSpan, ClassroomEvent, LessonRollup
from app.classroom.visibility import lesson_visible
from app.core.repository import in_school, page_by_key
from app.roster.models import Lesson
from app.roster.scopes import course_person_predicate
from app.tenancy.models import Membership


@dataclass(frozen=True, slots=True)
class EventFilter:
    """The optional filters of an events list (already parsed)."""

    kind: str | None = None
    person: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None

    def where(self) -> list[ColumnElement[bool]]:
        parts: list[ColumnElement[bool]] = []
        if self.kind is not None:
            parts.append(col(ClassroomEvent.kind) == self.kind)
        if self.person is not None:
            parts.append(col(ClassroomEvent.account_id) == self.person)
        if self.since is not None:
            parts.append(col(ClassroomEvent.at) >= self.since)
        if self.until is not None:
            parts.append(col(ClassroomEvent.at) < self.until)
        return parts


def _person_columns(tenant_id: uuid.UUID) -> tuple[Any, ...]:
    """The person's name in this school (roster entry first), masked phone."""
    school_name = (
        select(col(Membership.display_name))
        .where(
            col(Membership.tenant_id) == tenant_id,
            col(Membership.account_id) == col(Account.id),
            col(Membership.display_name).is_not(None),
        )
        .limit(1)
        .scalar_subquery()
    )
    return (
        col(Account.id).label("person_id"),
        school_name.label("school_name"),
        col(Account.display_name).label("account_name"),
        col(Account.phone_masked).label("phone_masked"),
    )


async def list_events(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    lesson_id: uuid.UUID,
    accesses: Sequence[Access],
    filters: EventFilter,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    fetch: int,
) -> Sequence[ClassroomEvent]:
    """A page of a lesson's events, each record kind filtered by its own scopes.

    The lesson's own visibility (`visible_lesson`) is part of the same query, so a page
    costs one round trip; an empty page leaves the caller to tell "no events" from "no
    such lesson" with `visible_lesson`.
    """
    course = col(Lesson.course_id)
    per_kind = [
        and_(
            col(ClassroomEvent.record_kind) == a.record_kind,
            course_person_predicate(a, course, col(ClassroomEvent.account_id)),
        )
        for a in accesses
    ]
    query = in_school(
        ClassroomEvent,
        tenant_id,
        col(ClassroomEvent.lesson_id) == lesson_id,
        lesson_visible(accesses),
        or_(*per_kind),
        *filters.where(),
    ).join(
        Lesson,
        and_(
            col(Lesson.tenant_id) == col(ClassroomEvent.tenant_id),
            col(Lesson.id) == col(ClassroomEvent.lesson_id),
        ),
    )
    keys: list[Any] = [col(ClassroomEvent.at), col(ClassroomEvent.id)]
    found: Sequence[Any] = (await session.execute(page_by_key(query, keys, after, fetch))).scalars()
    return list(found)


async def list_spans(
    session: AsyncSession,
    lesson: Lesson,
    access: Access,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    fetch: int,
) -> Sequence[Any]:
    """A page of the lesson's attendance spans the access reaches, with each person."""
    course = literal(lesson.course_id, Uuid())
    query = (
        select(AttendanceSpan, *_person_columns(lesson.tenant_id))
        .join(Account, col(Account.id) == col(AttendanceSpan.account_id))
        .where(
            col(AttendanceSpan.tenant_id) == lesson.tenant_id,
            col(AttendanceSpan.lesson_id) == lesson.id,
            course_person_predicate(access, course, col(AttendanceSpan.account_id)),
        )
    )
    keys: list[Any] = [col(AttendanceSpan.joined_at), col(AttendanceSpan.id)]
    rows: Sequence[Any] = (await session.execute(page_by_key(query, keys, after, fetch))).all()
    return rows


async def list_rollups(
    session: AsyncSession,
    lesson: Lesson,
    access: Access,
    *,
    after: uuid.UUID | None,
    fetch: int,
) -> Sequence[Any]:
    """A page of the lesson's rollups the access reaches, with each person."""
    course = literal(lesson.course_id, Uuid())
    query = (
        select(LessonRollup, *_person_columns(lesson.tenant_id))
        .join(Account, col(Account.id) == col(LessonRollup.account_id))
        .where(
            col(LessonRollup.tenant_id) == lesson.tenant_id,
            col(LessonRollup.lesson_id) == lesson.id,
            course_person_predicate(access, course, col(LessonRollup.account_id)),
        )
    )
    keys: list[Any] = [col(LessonRollup.account_id)]
    cursor = None if after is None else [after]
    rows: Sequence[Any] = (await session.execute(page_by_key(query, keys, cursor, fetch))).all()
    return rows

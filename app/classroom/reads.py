"""Queries of the read side: each takes the school and the caller's scopes as SQL predicates."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Uuid, and_, exists, false, literal, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import Account
from app.authz.access import Access
from app.classroom.models import AttendanceSpan, ClassroomEvent, LessonFile, LessonRollup
from app.classroom.models import RecordingGrant as Grant
from app.core import clock
from app.core.errors import NotFound
from app.core.ids import parse_id
from app.roster.models import Lesson
from app.roster.repository import lesson_by_id
from app.roster.scopes import (
    children_course_ids,
    children_ids,
    course_person_predicate,
    course_predicate,
    enrolled_course_ids,
    taught_course_ids,
)
from app.tenancy.models import Membership


def grant_predicate(access: Access, file_id: Any) -> ColumnElement[bool]:
    """An unexpired, unrevoked grant on the file to me, my course or (guardians) my child."""
    grantee = [
        col(Grant.account_id) == access.account_id,
        col(Grant.course_id).in_(enrolled_course_ids(access)),
    ]
    if "guardian" in access.roles:
        grantee += [
            col(Grant.account_id).in_(children_ids(access)),
            col(Grant.course_id).in_(children_course_ids(access)),
        ]
    return exists().where(
        col(Grant.tenant_id) == access.tenant_id,
        col(Grant.recording_id) == file_id,
        col(Grant.revoked_at).is_(None),
        col(Grant.expires_at) > clock.now(),
        or_(*grantee),
    )


def file_predicate(access: Access, course_col: Any) -> ColumnElement[bool]:
    """Recordings and snapshots the caller's scopes reach."""
    granted = grant_predicate(access, col(LessonFile.id)) if "granted" in access.scopes else None
    return course_predicate(access, course_col, granted)


def _lesson_predicate(access: Access) -> ColumnElement[bool]:
    """The lessons a scope lets the caller see at all (else the lesson answers 404)."""
    course = col(Lesson.course_id)
    parts: list[ColumnElement[bool]] = []
    for scope in access.scopes:
        if scope == "tenant":
            return true()
        if scope == "taught_courses":
            parts.append(course.in_(taught_course_ids(access)))
        elif scope in ("enrolled_courses", "class_visible"):
            parts.append(course.in_(enrolled_course_ids(access)))
        elif scope in ("self", "subject"):
            parts += [
                course.in_(enrolled_course_ids(access)),
                course.in_(taught_course_ids(access)),
                col(Lesson.teacher_id) == access.account_id,
            ]
        elif scope == "children":
            parts.append(course.in_(children_course_ids(access)))
        elif scope == "granted":
            parts.append(
                exists().where(
                    col(LessonFile.tenant_id) == access.tenant_id,
                    col(LessonFile.lesson_id) == col(Lesson.id),
                    grant_predicate(access, col(LessonFile.id)),
                )
            )
    return or_(*parts) if parts else false()


# Scopes whose row predicate is "the lesson's course is one of mine": a row they admit is
# in a lesson they admit, so the lesson needs no check of its own.
COURSE_SCOPES = frozenset({"tenant", "taught_courses", "enrolled_courses", "class_visible"})


def _lesson_visible(accesses: Sequence[Access]) -> ColumnElement[bool]:
    """The lesson check of a records query (implied when every scope is course-wide)."""
    if all(a.scopes <= COURSE_SCOPES for a in accesses):
        return true()
    return _lessons_reached(accesses)


def _lessons_reached(accesses: Sequence[Access]) -> ColumnElement[bool]:
    return or_(*(_lesson_predicate(a) for a in accesses))


async def visible_lesson(
    session: AsyncSession, tenant_id: uuid.UUID, lesson_id: str, accesses: Sequence[Access]
) -> Lesson:
    """The lesson named in a path, if some access reaches it; else 404 (like a missing one)."""
    parsed = parse_id(lesson_id)
    reached = _lessons_reached(accesses)
    lesson = await lesson_by_id(session, tenant_id, parsed, reached) if parsed else None
    if lesson is None:
        raise NotFound("no such lesson")
    return lesson


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
    *,
    kind: str | None,
    person: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[ClassroomEvent]:
    """A page of a lesson's events, each record kind filtered by its own scopes.

    The lesson's own visibility (`visible_lesson`) is part of the same query, so a page
    costs one round trip; an empty page leaves the caller to tell "no events" from "no
    such lesson" with `visible_lesson`.
    """
    course = col(Lesson.course_id)
    account = col(ClassroomEvent.account_id)
    per_kind = [
        and_(
            col(ClassroomEvent.record_kind) == a.record_kind,
            course_person_predicate(a, course, account),
        )
        for a in accesses
    ]
    query = (
        select(ClassroomEvent)
        .join(
            Lesson,
            and_(
                col(Lesson.tenant_id) == col(ClassroomEvent.tenant_id),
                col(Lesson.id) == col(ClassroomEvent.lesson_id),
            ),
        )
        .where(
            col(ClassroomEvent.tenant_id) == tenant_id,
            col(ClassroomEvent.lesson_id) == lesson_id,
            _lesson_visible(accesses),
            or_(*per_kind),
        )
        .order_by(col(ClassroomEvent.at), col(ClassroomEvent.id))
        .limit(limit)
    )
    if kind is not None:
        query = query.where(col(ClassroomEvent.kind) == kind)
    if person is not None:
        query = query.where(account == person)
    if since is not None:
        query = query.where(col(ClassroomEvent.at) >= since)
    if until is not None:
        query = query.where(col(ClassroomEvent.at) < until)
    if after is not None:
        at, last_id = after
        query = query.where(
            or_(
                col(ClassroomEvent.at) > at,
                and_(col(ClassroomEvent.at) == at, col(ClassroomEvent.id) > last_id),
            )
        )
    return (await session.execute(query)).scalars().all()


async def list_spans(
    session: AsyncSession,
    lesson: Lesson,
    access: Access,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[Any]:
    course = literal(lesson.course_id, Uuid())
    query = (
        select(AttendanceSpan, *_person_columns(lesson.tenant_id))
        .join(Account, col(Account.id) == col(AttendanceSpan.account_id))
        .where(
            col(AttendanceSpan.tenant_id) == lesson.tenant_id,
            col(AttendanceSpan.lesson_id) == lesson.id,
            course_person_predicate(access, course, col(AttendanceSpan.account_id)),
        )
        .order_by(col(AttendanceSpan.joined_at), col(AttendanceSpan.id))
        .limit(limit)
    )
    if after is not None:
        at, last_id = after
        query = query.where(
            or_(
                col(AttendanceSpan.joined_at) > at,
                and_(col(AttendanceSpan.joined_at) == at, col(AttendanceSpan.id) > last_id),
            )
        )
    return (await session.execute(query)).all()


async def list_rollups(
    session: AsyncSession,
    lesson: Lesson,
    access: Access,
    *,
    after: uuid.UUID | None,
    limit: int,
) -> Sequence[Any]:
    course = literal(lesson.course_id, Uuid())
    query = (
        select(LessonRollup, *_person_columns(lesson.tenant_id))
        .join(Account, col(Account.id) == col(LessonRollup.account_id))
        .where(
            col(LessonRollup.tenant_id) == lesson.tenant_id,
            col(LessonRollup.lesson_id) == lesson.id,
            course_person_predicate(access, course, col(LessonRollup.account_id)),
        )
        .order_by(col(LessonRollup.account_id))
        .limit(limit)
    )
    if after is not None:
        query = query.where(col(LessonRollup.account_id) > after)
    return (await session.execute(query)).all()


async def participants(
    session: AsyncSession, tenant_id: uuid.UUID, lesson_id: uuid.UUID
) -> list[uuid.UUID]:
    """Whose data a recording or snapshot of the lesson is: everyone with a rollup there."""
    result = await session.execute(
        select(col(LessonRollup.account_id)).where(
            col(LessonRollup.tenant_id) == tenant_id, col(LessonRollup.lesson_id) == lesson_id
        )
    )
    return list(result.scalars())

"""Which lessons and lesson files a caller's scopes reach, as SQL predicates.

Built from the scope module's predicates (`app.roster.scopes`), never from a scope loop of
its own; `visible_lesson` is the one lookup of a lesson named in a path (404 otherwise).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, exists, or_, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.authz.access import Access
from app.classroom.models import LessonFile
from app.classroom.models import RecordingGrant as Grant
from app.core import clock
from app.core.errors import NotFound
from app.core.ids import parse_id
from app.core.vocabulary import Role, Scope
from app.roster.models import Lesson
from app.roster.repository import lesson_by_id
from app.roster.scopes import (
    children_course_ids,
    children_ids,
    course_predicate,
    enrolled_course_ids,
)


def grant_predicate(access: Access, file_id: Any) -> ColumnElement[bool]:
    """An unexpired, unrevoked grant on the file to me, my course or (guardians) my child."""
    grantee = [
        col(Grant.account_id) == access.account_id,
        col(Grant.course_id).in_(enrolled_course_ids(access)),
    ]
    if Role.GUARDIAN in access.roles:
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
    granted = (
        grant_predicate(access, col(LessonFile.id)) if Scope.GRANTED in access.scopes else None
    )
    return course_predicate(access, course_col, granted)


# Through which course scopes a scope reaches a lesson: what the class saw is in my courses;
# my own records are in courses I attend or teach.
LESSON_REACH: dict[str, frozenset[str]] = {
    Scope.CLASS_VISIBLE: frozenset({Scope.ENROLLED_COURSES}),
    Scope.SELF: frozenset({Scope.ENROLLED_COURSES, Scope.TAUGHT_COURSES}),
    Scope.SUBJECT: frozenset({Scope.ENROLLED_COURSES, Scope.TAUGHT_COURSES}),
}
_OWN = frozenset({Scope.SELF, Scope.SUBJECT})


def _lesson_predicate(access: Access) -> ColumnElement[bool]:
    """The lessons a scope lets the caller see at all (else the lesson answers 404)."""
    reach = frozenset().union(*(LESSON_REACH.get(s, frozenset({s})) for s in access.scopes))
    granted = (
        exists().where(
            col(LessonFile.tenant_id) == access.tenant_id,
            col(LessonFile.lesson_id) == col(Lesson.id),
            grant_predicate(access, col(LessonFile.id)),
        )
        if Scope.GRANTED in reach
        else None
    )
    lessons = course_predicate(
        dataclasses.replace(access, scopes=reach), col(Lesson.course_id), granted
    )
    if access.scopes & _OWN:  # my records are also in the lessons I teach
        return or_(lessons, col(Lesson.teacher_id) == access.account_id)
    return lessons


# Scopes whose row predicate is "the lesson's course is one of mine": a row they admit is
# in a lesson they admit, so the lesson needs no check of its own.
COURSE_SCOPES = frozenset(
    {Scope.TENANT, Scope.TAUGHT_COURSES, Scope.ENROLLED_COURSES, Scope.CLASS_VISIBLE}
)


def lesson_visible(accesses: Sequence[Access]) -> ColumnElement[bool]:
    """The lesson check of a records query (implied when every scope is course-wide)."""
    if all(a.scopes <= COURSE_SCOPES for a in accesses):
        return true()
    return lessons_reached(accesses)


def lessons_reached(accesses: Sequence[Access]) -> ColumnElement[bool]:
    return or_(*(_lesson_predicate(a) for a in accesses))


async def visible_lesson(
    session: AsyncSession, tenant_id: uuid.UUID, lesson_id: str, accesses: Sequence[Access]
) -> Lesson:
    """The lesson named in a path, if some access reaches it; else 404 (like a missing one)."""
    parsed = parse_id(lesson_id)
    reached = lessons_reached(accesses)
    lesson = await lesson_by_id(session, tenant_id, parsed, reached) if parsed else None
    if lesson is None:
        raise NotFound("no such lesson")
    return lesson

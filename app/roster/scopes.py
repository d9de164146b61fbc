"""The course rules of scopes (they read enrolments), added to the people rules of authz.

`RULES` is the one table from scope to predicate; `app.authz.visibility.within_scopes` is
the one loop. The functions below name the shapes of record that consumers filter.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select
from sqlmodel import col

from app.authz.access import Access
from app.authz.visibility import (
    PEOPLE_RULES,
    Rule,
    Target,
    built_once,
    children_ids,
    children_ids_of,
    first_of,
    myself,
    within_scopes,
)
from app.core.repository import Visible
from app.core.vocabulary import Role, Scope
from app.roster.models import Enrollment, Lesson

__all__ = [
    "RULES",
    "children_course_ids",
    "children_ids",
    "course_person_predicate",
    "course_predicate",
    "enrolled_course_ids",
    "lesson_predicate",
    "people_in_taught_courses",
    "person_predicate",
    "taught_course_ids",
]

TEACHING_ROLES = (Role.TEACHER, Role.ASSISTANT)


def taught_course_ids(access: Access) -> Select[Any]:
    return _taught_course_ids(access.tenant_id, access.account_id)


@built_once
def _taught_course_ids(tenant_id: uuid.UUID, account_id: uuid.UUID) -> Select[Any]:
    return select(col(Enrollment.course_id)).where(
        col(Enrollment.tenant_id) == tenant_id,
        col(Enrollment.account_id) == account_id,
        col(Enrollment.role).in_(TEACHING_ROLES),
        col(Enrollment.status) == "active",
    )


def enrolled_course_ids(access: Access) -> Select[Any]:
    return _enrolled_course_ids(access.tenant_id, access.account_id)


@built_once
def _enrolled_course_ids(tenant_id: uuid.UUID, account_id: uuid.UUID) -> Select[Any]:
    return select(col(Enrollment.course_id)).where(
        col(Enrollment.tenant_id) == tenant_id,
        col(Enrollment.account_id) == account_id,
        col(Enrollment.role) == Role.STUDENT,
        col(Enrollment.status) == "active",
    )


def children_course_ids(access: Access) -> Select[Any]:
    return _children_course_ids(access.tenant_id, access.account_id)


@built_once
def _children_course_ids(tenant_id: uuid.UUID, account_id: uuid.UUID) -> Select[Any]:
    return select(col(Enrollment.course_id)).where(
        col(Enrollment.tenant_id) == tenant_id,
        col(Enrollment.account_id).in_(children_ids_of(tenant_id, account_id)),
        col(Enrollment.status) == "active",
    )


def people_in_taught_courses(access: Access) -> Select[Any]:
    return select(col(Enrollment.account_id)).where(
        col(Enrollment.tenant_id) == access.tenant_id,
        col(Enrollment.course_id).in_(taught_course_ids(access)),
        col(Enrollment.status) == "active",
    )


# --- the course rules: each applies to a target with a course (or lesson) column ---


def _taught(access: Access, t: Target) -> ColumnElement[bool] | None:
    """`taught_courses`: records of a course I teach, else people enrolled in one."""
    if t.course is not None:
        return _in(t.course, taught_course_ids(access))
    if t.person is not None:
        return _in(t.person, people_in_taught_courses(access))
    return None


def _enrolled(access: Access, t: Target) -> ColumnElement[bool] | None:
    return None if t.course is None else _in(t.course, enrolled_course_ids(access))


def _children_courses(access: Access, t: Target) -> ColumnElement[bool] | None:
    return None if t.course is None else _in(t.course, children_course_ids(access))


def _in(column: Any, ids: Select[Any]) -> ColumnElement[bool]:
    found: ColumnElement[bool] = column.in_(ids)
    return found


def _lesson_of_mine(access: Access, t: Target) -> ColumnElement[bool] | None:
    """`self` on a lesson: one of a course I attend or teach, or that I teach myself."""
    if t.teacher is None or t.course is None:
        return None
    return or_(
        _in(t.course, enrolled_course_ids(access)),
        _in(t.course, taught_course_ids(access)),
        t.teacher == access.account_id,
    )


def _granted(access: Access, t: Target) -> ColumnElement[bool] | None:
    return t.granted


_RULES: dict[str, Rule] = {
    **PEOPLE_RULES,
    Scope.SELF: first_of(myself, _lesson_of_mine),
    Scope.SUBJECT: first_of(myself, _lesson_of_mine),
    Scope.CHILDREN: first_of(PEOPLE_RULES[Scope.CHILDREN], _children_courses),
    Scope.TAUGHT_COURSES: _taught,
    Scope.ENROLLED_COURSES: _enrolled,
    Scope.CLASS_VISIBLE: _enrolled,
    Scope.GRANTED: _granted,
}
RULES: Mapping[str, Rule] = MappingProxyType(_RULES)


def course_predicate(
    access: Access, course_col: Any, granted: ColumnElement[bool] | None = None
) -> Visible:
    """Records that belong to a course (courses, lessons, recordings); `granted` is the
    predicate of an explicit grant, for record kinds that have grants."""
    return within_scopes(access, RULES, Target(course=course_col, granted=granted))


def person_predicate(access: Access, account_col: Any) -> Visible:
    """Records about a person who is not tied to one course (roster entries)."""
    return within_scopes(access, RULES, Target(person=account_col))


def course_person_predicate(access: Access, course_col: Any, account_col: Any) -> Visible:
    """Records about a person in a course (enrolments, attendance, behaviour, rollups)."""
    return within_scopes(access, RULES, Target(person=account_col, course=course_col))


def lesson_predicate(access: Access, granted: ColumnElement[bool] | None = None) -> Visible:
    """The lessons a scope lets the caller see at all; `granted`: a file of it granted to me."""
    target = Target(course=col(Lesson.course_id), teacher=col(Lesson.teacher_id), granted=granted)
    return within_scopes(access, RULES, target)

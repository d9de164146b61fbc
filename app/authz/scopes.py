"""Scopes become SQL predicates, so list endpoints filter in the database (DESIGN.md §2)."""

from __future__ import annotations

import functools
import uuid
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlmodel import col

from app.authz.access import Access
from app.roster.models import Enrollment, Guardianship

TEACHING_ROLES = ("teacher", "assistant")


# The subqueries below depend only on (school, person): built once per pair and shared by
# every predicate of a request (statements are immutable), which keeps building a scoped
# query cheap on the hot path of every list.
_built = functools.lru_cache(maxsize=4096)


def taught_course_ids(access: Access) -> Any:
    return _taught_course_ids(access.tenant_id, access.account_id)


@_built
def _taught_course_ids(tenant_id: uuid.UUID, account_id: uuid.UUID) -> Any:
    return select(col(Enrollment.course_id)).where(
        col(Enrollment.tenant_id) == tenant_id,
        col(Enrollment.account_id) == account_id,
        col(Enrollment.role).in_(TEACHING_ROLES),
        col(Enrollment.status) == "active",
    )


def enrolled_course_ids(access: Access) -> Any:
    return _enrolled_course_ids(access.tenant_id, access.account_id)


@_built
def _enrolled_course_ids(tenant_id: uuid.UUID, account_id: uuid.UUID) -> Any:
    return select(col(Enrollment.course_id)).where(
        col(Enrollment.tenant_id) == tenant_id,
        col(Enrollment.account_id) == account_id,
        col(Enrollment.role) == "student",
        col(Enrollment.status) == "active",
    )


def children_ids(access: Access) -> Any:
    return _children_ids(access.tenant_id, access.account_id)


@_built
def _children_ids(tenant_id: uuid.UUID, account_id: uuid.UUID) -> Any:
    return select(col(Guardianship.student_id)).where(
        col(Guardianship.tenant_id) == tenant_id,
        col(Guardianship.guardian_id) == account_id,
    )


def children_course_ids(access: Access) -> Any:
    return _children_course_ids(access.tenant_id, access.account_id)


@_built
def _children_course_ids(tenant_id: uuid.UUID, account_id: uuid.UUID) -> Any:
    return select(col(Enrollment.course_id)).where(
        col(Enrollment.tenant_id) == tenant_id,
        col(Enrollment.account_id).in_(_children_ids(tenant_id, account_id)),
        col(Enrollment.status) == "active",
    )


def people_in_taught_courses(access: Access) -> Any:
    return select(col(Enrollment.account_id)).where(
        col(Enrollment.tenant_id) == access.tenant_id,
        col(Enrollment.course_id).in_(taught_course_ids(access)),
        col(Enrollment.status) == "active",
    )


def course_predicate(
    access: Access, course_col: Any, granted: ColumnElement[bool] | None = None
) -> ColumnElement[bool]:
    """Records that belong to a course (courses, lessons, recordings); `granted` is the
    predicate of an explicit grant, for record kinds that have grants."""
    parts: list[ColumnElement[bool]] = []
    for scope in access.scopes:
        if scope == "tenant":
            return true()
        if scope == "taught_courses":
            parts.append(course_col.in_(taught_course_ids(access)))
        elif scope == "enrolled_courses":
            parts.append(course_col.in_(enrolled_course_ids(access)))
        elif scope == "children":
            parts.append(course_col.in_(children_course_ids(access)))
        elif scope == "granted" and granted is not None:
            parts.append(granted)
    return or_(*parts) if parts else false()


def person_predicate(access: Access, account_col: Any) -> ColumnElement[bool]:
    """Records about a person who is not tied to one course (roster entries)."""
    parts: list[ColumnElement[bool]] = []
    for scope in access.scopes:
        if scope == "tenant":
            return true()
        if scope in ("self", "subject"):
            parts.append(account_col == access.account_id)
        elif scope == "children":
            parts.append(account_col.in_(children_ids(access)))
        elif scope == "taught_courses":
            parts.append(account_col.in_(people_in_taught_courses(access)))
    return or_(*parts) if parts else false()


def course_person_predicate(
    access: Access, course_col: Any, account_col: Any
) -> ColumnElement[bool]:
    """Records about a person in a course (enrolments, attendance, behaviour, rollups)."""
    parts: list[ColumnElement[bool]] = []
    for scope in access.scopes:
        if scope == "tenant":
            return true()
        if scope == "taught_courses":
            parts.append(course_col.in_(taught_course_ids(access)))
        elif scope == "enrolled_courses":
            parts.append(course_col.in_(enrolled_course_ids(access)))
        elif scope in ("self", "subject"):
            parts.append(account_col == access.account_id)
        elif scope == "children":
            parts.append(account_col.in_(children_ids(access)))
        elif scope == "class_visible":
            parts.append(course_col.in_(enrolled_course_ids(access)))
    return or_(*parts) if parts else false()


def both(*predicates: ColumnElement[bool]) -> ColumnElement[bool]:
    return and_(*predicates)

"""Rostra's roster seen as OneRoster collections: one labelled SELECT per collection.

Each collection is a subquery whose visible columns carry the OneRoster field names, so
filtering, sorting and the whitelist are the same for all of them; columns starting with
`_` are for the nested paths only. The school is a required argument of every one.

Mapping: the school is the one org (type school); a course is both a OneRoster course and
its one class; a course's term text is an academic session of type term (its sourcedId is
the term's name); a person with memberships is a user with one role per membership; an
enrolment is an enrollment (assistants as teacher with primary=false).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, case, func, literal, select
from sqlmodel import col

from app.accounts.models import Account
from app.core.vocabulary import RecordKind, Role
from app.roster.models import Course, Enrollment
from app.tenancy.models import Membership, Tenant

RosterQuery = Select[*tuple[Any, ...]]  # any labelled row
LIVE_MEMBERSHIP = ("pending", "active")
TEACHING = (Role.TEACHER.value, Role.ASSISTANT.value)


def _orgs(tenant_id: uuid.UUID) -> RosterQuery:
    return select(
        col(Tenant.id).label("sourcedId"),
        literal("active").label("status"),
        col(Tenant.updated_at).label("dateLastModified"),
        col(Tenant.name).label("name"),
        literal("school").label("type"),
        col(Tenant.slug).label("identifier"),
    ).where(col(Tenant.id) == tenant_id)


def _terms(tenant_id: uuid.UUID) -> RosterQuery:
    return (
        select(
            col(Course.term).label("sourcedId"),
            literal("active").label("status"),
            func.max(Course.created_at).label("dateLastModified"),
            col(Course.term).label("title"),
            literal("term").label("type"),
            func.min(Course.starts_on).label("startDate"),
            func.max(Course.ends_on).label("endDate"),
        )
        .where(col(Course.tenant_id) == tenant_id, col(Course.term).is_not(None))
        .group_by(col(Course.term))
    )


def _courses(tenant_id: uuid.UUID) -> RosterQuery:
    return select(
        col(Course.id).label("sourcedId"),
        case((col(Course.status) == "active", "active"), else_="tobedeleted").label("status"),
        col(Course.created_at).label("dateLastModified"),
        col(Course.name).label("title"),
        col(Course.code).label("courseCode"),
        col(Course.code).label("classCode"),
        col(Course.subject).label("subject"),
        col(Course.term).label("_term"),
        col(Course.starts_on).label("_starts_on"),
    ).where(col(Course.tenant_id) == tenant_id)


def _role_flag(roles: tuple[str, ...]) -> ColumnElement[Any]:
    live = col(Membership.status).in_(LIVE_MEMBERSHIP) & col(Membership.role).in_(roles)
    return func.max(case((live, 1), else_=0))


def _users(tenant_id: uuid.UUID) -> RosterQuery:
    """The school's users, one row per person over their memberships (`user_rows` groups a
    page of memberships the same way)."""
    live = func.max(case((col(Membership.status).in_(LIVE_MEMBERSHIP), 1), else_=0))
    name = func.max(func.coalesce(Membership.display_name, Account.display_name, ""))
    return (
        select(
            col(Membership.account_id).label("sourcedId"),
            case((live == 1, "active"), else_="tobedeleted").label("status"),
            func.max(Membership.updated_at).label("dateLastModified"),
            name.label("givenName"),
            literal("").label("familyName"),
            (live == 1).label("enabledUser"),
            _role_flag((Role.STUDENT.value,)).label("_student"),
            _role_flag(TEACHING).label("_teacher"),
        )
        .join(Account, col(Account.id) == col(Membership.account_id))
        .where(col(Membership.tenant_id) == tenant_id)
        .group_by(col(Membership.account_id))
    )


@dataclass(frozen=True, slots=True)
class PersonMembership:
    account_id: uuid.UUID
    role: str
    status: str
    updated_at: datetime | None
    name: str


def user_rows(
    memberships: list[PersonMembership],
) -> tuple[list[dict[str, Any]], dict[uuid.UUID, list[str]]]:
    """`_users`' rows of the people these memberships belong to (in their order), grouped
    here instead of in SQL, and each person's live roles (as `roles_of_people`)."""
    held: dict[uuid.UUID, list[PersonMembership]] = {}
    for m in memberships:
        held.setdefault(m.account_id, []).append(m)
    rows, roles = [], {}
    for account_id, ms in held.items():
        live = [m for m in ms if m.status in LIVE_MEMBERSHIP]
        changed = [m.updated_at for m in ms if m.updated_at is not None]
        rows.append({
            "sourcedId": account_id, "status": "active" if live else "tobedeleted",
            "dateLastModified": max(changed, default=None),
            "givenName": max(m.name for m in ms), "familyName": "", "enabledUser": bool(live),
            "_student": int(any(m.role == Role.STUDENT for m in live)),
            "_teacher": int(any(m.role in TEACHING for m in live)),
        })  # fmt: skip
        if live:
            roles[account_id] = sorted(m.role for m in live)
    return rows, roles


def _enrollments(tenant_id: uuid.UUID) -> RosterQuery:
    role = case((col(Enrollment.role).in_(TEACHING), "teacher"), else_=col(Enrollment.role))
    return select(
        col(Enrollment.id).label("sourcedId"),
        case((col(Enrollment.status) == "active", "active"), else_="tobedeleted").label("status"),
        func.coalesce(Enrollment.removed_at, Enrollment.created_at).label("dateLastModified"),
        role.label("role"),
        (col(Enrollment.role) == Role.TEACHER.value).label("primary"),
        col(Enrollment.account_id).label("_user"),
        col(Enrollment.course_id).label("_class"),
    ).where(col(Enrollment.tenant_id) == tenant_id)


@dataclass(frozen=True)
class Collection:
    """One OneRoster collection: its JSON keys, its query, the record kind its reads audit."""

    plural: str
    singular: str
    scope_name: str  # the collection a scope must open (students → users)
    query: Callable[[uuid.UUID], RosterQuery]
    record_kind: str | None  # None: no personal data, nothing to audit
    fields: tuple[str, ...]  # what `fields=` may select

    @property
    def key(self) -> str:
        """The answer's key: students and teachers are `users`, schools `orgs`, ..."""
        return {"schools": "orgs", "terms": "academicSessions"}.get(
            self.plural, "users" if self.singular == "user" else self.plural
        )

    def subquery(self, tenant_id: uuid.UUID) -> Subquery:
        return self.query(tenant_id).subquery(self.plural)


COMMON: tuple[str, ...] = ("sourcedId", "status", "dateLastModified")
ORG_FIELDS = (*COMMON, "name", "type", "identifier")
SESSION_FIELDS = (*COMMON, "title", "type", "startDate", "endDate", "schoolYear")
COURSE_FIELDS = (*COMMON, "title", "courseCode", "subjects", "schoolYear", "org")
CLASS_FIELDS = (*COMMON, "title", "classCode", "classType", "subjects", "course", "school", "terms")
USER_FIELDS = (*COMMON, "enabledUser", "givenName", "familyName", "roles")
ENROLLMENT_FIELDS = (*COMMON, "role", "primary", "user", "class", "school")
DEMOGRAPHIC_FIELDS = COMMON

MEMBER, COURSE, ENROLLMENT = RecordKind.MEMBER, RecordKind.COURSE, RecordKind.ENROLLMENT
COLLECTIONS = {
    c.plural: c
    for c in (
        Collection("orgs", "org", "orgs", _orgs, None, ORG_FIELDS),
        Collection("schools", "org", "schools", _orgs, None, ORG_FIELDS),
        Collection("academicSessions", "academicSession", "terms", _terms, None, SESSION_FIELDS),
        Collection("terms", "academicSession", "terms", _terms, None, SESSION_FIELDS),
        Collection("courses", "course", "courses", _courses, COURSE, COURSE_FIELDS),
        Collection("classes", "class", "classes", _courses, COURSE, CLASS_FIELDS),
        Collection("users", "user", "users", _users, MEMBER, USER_FIELDS),
        Collection("students", "user", "users", _users, MEMBER, USER_FIELDS),
        Collection("teachers", "user", "users", _users, MEMBER, USER_FIELDS),
        Collection(
            "enrollments", "enrollment", "enrollments", _enrollments, ENROLLMENT, ENROLLMENT_FIELDS
        ),
        Collection(
            "demographics", "demographics", "demographics", _users, MEMBER, DEMOGRAPHIC_FIELDS
        ),
    )
}

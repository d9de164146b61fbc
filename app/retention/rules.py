"""Which rows of which table each retention category covers, and how a person is found in them.

One `Rule` per (category, table). The sweep reads only these: a table no rule names is
kept (`[kept]` in `policies/retention.toml` says why; a test holds the schema to both).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Column, ColumnElement, Table, and_, exists, false, or_, select
from sqlmodel import SQLModel

from app.accounts import models as _accounts  # noqa: F401  (the tables the rules name)
from app.authz import models as _authz  # noqa: F401
from app.classroom import models as _classroom  # noqa: F401
from app.core.vocabulary import RecordKind, RetentionCategory
from app.identity import models as _identity  # noqa: F401
from app.privacy import models as _privacy  # noqa: F401
from app.rights import models as _rights  # noqa: F401
from app.roster import models as _roster  # noqa: F401

Extra = Callable[[Table], ColumnElement[bool]]
About = Callable[[Table, frozenset[uuid.UUID]], ColumnElement[bool]]


def _t(name: str) -> Table:
    return SQLModel.metadata.tables[name]


@dataclass(frozen=True)
class Child:
    """Rows of another table that point at a swept row and go with it (same school)."""

    table: str
    column: str  # the child's column holding the parent's `id`


@dataclass(frozen=True)
class Rule:
    category: RetentionCategory
    table_name: str
    since: str  # the time column the period counts from; batches walk it in order
    where: Extra | None = None  # which rows of the table the category covers
    about: About | None = None  # rows about these persons (person holds); None: no person
    anonymise: bool = False  # fold into lesson_tally, then delete
    objects: bool = False  # rows name an `object_key` in the object store
    children: tuple[Child, ...] = field(default_factory=tuple)
    chained: bool = False  # the audit chain: removing entries moves its signed base
    later: tuple[str, ...] = ()  # more time columns that must also be past the cutoff (or null)

    @property
    def table(self) -> Table:
        return _t(self.table_name)

    def expired(self, cutoff: datetime) -> ColumnElement[bool]:
        t = self.table
        older = and_(
            t.c[self.since] < cutoff,
            *(or_(t.c[c].is_(None), t.c[c] < cutoff) for c in self.later),
        )
        return older if self.where is None else and_(self.where(t), older)

    @property
    def order(self) -> list[Column[object]]:
        return [self.table.c[self.since], *self.key_columns]

    @property
    def key_columns(self) -> list[Column[object]]:
        """The primary key without `tenant_id`: what a batch is ordered by and logged as."""
        return [c for c in self.table.primary_key.columns if c.name != "tenant_id"]


def _event(kind: RecordKind) -> Extra:
    return lambda t: t.c.record_kind == kind.value


def _file(kind: str) -> Extra:
    return lambda t: t.c.kind == kind


def _by_account(t: Table, people: frozenset[uuid.UUID]) -> ColumnElement[bool]:
    return t.c.account_id.in_(people) if people else false()


def _of_their_lessons(t: Table, people: frozenset[uuid.UUID]) -> ColumnElement[bool]:
    """A lesson's files are about everyone enrolled in its course."""
    if not people:
        return false()
    lesson, enrollment = _t("lesson"), _t("enrollment")
    theirs = (
        select(lesson.c.id)
        .join(
            enrollment,
            and_(
                enrollment.c.tenant_id == lesson.c.tenant_id,
                enrollment.c.course_id == lesson.c.course_id,
            ),
        )
        .where(lesson.c.tenant_id == t.c.tenant_id, enrollment.c.account_id.in_(people))
    )
    return t.c.lesson_id.in_(theirs)


def _sealed(t: Table) -> ColumnElement[bool]:
    return t.c.seq.is_not(None)


def _about_subjects(t: Table, people: frozenset[uuid.UUID]) -> ColumnElement[bool]:
    if not people:
        return false()
    subjects = _t("auditsubject")
    about = select(subjects.c.entry_id).where(
        subjects.c.tenant_id == t.c.tenant_id, subjects.c.account_id.in_(people)
    )
    return t.c.id.in_(about)


def _restored(t: Table) -> ColumnElement[bool]:
    return t.c.restored_at.is_not(None)


def _without_school_parts(t: Table) -> ColumnElement[bool]:
    parts = _t("school_rights_request")
    return and_(t.c.closed_at.is_not(None), ~exists().where(parts.c.request_id == t.c.id))


_C = RetentionCategory
_EVENT_KINDS = {
    _C.BEHAVIOUR: RecordKind.BEHAVIOUR,
    _C.TOOL_USE: RecordKind.TOOL_USE,
    _C.TEACHER_ACTION: RecordKind.TEACHER_ACTION,
    _C.COURSEWARE_USE: RecordKind.COURSEWARE_USE,
    _C.DIAGNOSTICS: RecordKind.DIAGNOSTICS,
}

SCHOOL_RULES: tuple[Rule, ...] = (
    Rule(_C.ATTENDANCE, "classroom_event", "at", _event(RecordKind.ATTENDANCE), _by_account),
    Rule(_C.ATTENDANCE, "attendance_span", "left_at", None, _by_account),
    *(Rule(c, "classroom_event", "at", _event(k), _by_account) for c, k in _EVENT_KINDS.items()),
    Rule(_C.ROLLUP, "lesson_rollup", "updated_at", None, _by_account, anonymise=True),
    Rule(
        _C.RECORDING,
        "lesson_file",
        "created_at",
        _file("recording"),
        _of_their_lessons,
        objects=True,
        children=(Child("recording_grant", "recording_id"),),
    ),
    Rule(
        _C.SNAPSHOT, "lesson_file", "created_at", _file("snapshot"), _of_their_lessons, objects=True
    ),
    # Only a prefix of the sealed chain, up to a signed checkpoint (app/retention/audit.py).
    Rule(
        _C.AUDIT,
        "auditentry",
        "at",
        _sealed,
        _about_subjects,
        children=(Child("auditsubject", "entry_id"),),
        chained=True,
    ),
    Rule(_C.RIGHTS_REQUEST, "school_rights_request", "decided_at", None, _by_account),
    Rule(_C.CONSENT_HISTORY, "consent_withdrawal", "restored_at", _restored, _by_account),
)

PLATFORM_RULES: tuple[Rule, ...] = (
    Rule(_C.OTP_CODE, "otpcode", "created_at"),
    Rule(_C.SMS_OUTBOX, "smsmessage", "sent_at"),
    Rule(_C.REFRESH_TOKEN, "refreshtoken", "expires_at"),
    Rule(_C.DEVICE_SESSION, "devicesession", "ended_at"),
    Rule(_C.PASSWORD_FAILURE, "signin_failure", "at"),  # renamed by 0010i (#16)
    Rule(_C.CLOSED_RIGHTS_REQUEST, "rights_request", "closed_at", _without_school_parts),
    # Counted from the attempt's expiry, and from its pending link's if the callback left one.
    Rule(_C.OIDC_ATTEMPT, "oidc_attempt", "expires_at", later=("link_expires_at",)),
)


def rules_for(category: RetentionCategory) -> list[Rule]:
    return [r for r in (*SCHOOL_RULES, *PLATFORM_RULES) if r.category == category]


def swept_tables() -> set[str]:
    covered = {r.table_name for r in (*SCHOOL_RULES, *PLATFORM_RULES)}
    return covered | {c.table for r in SCHOOL_RULES for c in r.children}

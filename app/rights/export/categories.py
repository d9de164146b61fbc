"""The export's categories: which rows each file holds and the columns of its CSV.

Every file has a `school` column; each row is the person's own record. Other people never
appear: teacher actions keep only that someone was targeted, audit entries only the kind
of actor, registrations only whether the school made them (VIS-1, AUZ-4).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import set_tenant
from app.core.vocabulary import RecordKind
from app.rights.export import repository
from app.tenancy.models import Membership, Tenant

EVENT_COLUMNS = ("school", "lesson_id", "at", "kind", "data", "ip_prefix", "ip_hash", "received_at")
ANSWER_KIND = "tool.answerer"
PERSON_FIELDS = ("target",)  # event fields that name another participant


@dataclass(frozen=True)
class School:
    tenant: Tenant
    membership: Membership


@dataclass(frozen=True)
class Category:
    name: str
    columns: tuple[str, ...]
    query: Callable[[uuid.UUID, uuid.UUID], Select[Any]]
    clean: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None = None
    raw_json: frozenset[str] = frozenset()  # columns holding JSON text (event data)


def _events(record_kinds: list[str], **kw: Any) -> Callable[[uuid.UUID, uuid.UUID], Select[Any]]:
    return lambda tenant_id, account_id: repository.events(
        tenant_id, account_id, record_kinds, **kw
    )


EVENT_DATA = frozenset({"data"})
DATA = EVENT_COLUMNS.index("data") - 1  # position in the query's row (no school column)


def _without_people(row: tuple[Any, ...]) -> tuple[Any, ...]:
    raw = row[DATA]
    data = dict(orjson.loads(raw) if isinstance(raw, str) else raw or {})
    for field in PERSON_FIELDS:
        if data.get(field) is not None:
            data[field] = "a participant"
    return (*row[:DATA], orjson.dumps(data).decode(), *row[DATA + 1 :])


def _event_category(name: str, record_kinds: list[str], **kw: Any) -> Category:
    return Category(name, EVENT_COLUMNS, _events(record_kinds, **kw), raw_json=EVENT_DATA)


CATEGORIES: tuple[Category, ...] = (
    Category(
        "consent_attestations",
        ("school", "given_by", "method", "notice_version", "given_at"),
        repository.attestations,
    ),
    Category(
        "consent_withdrawals",
        ("school", "category", "withdrawn_at", "restored_at"),
        repository.withdrawals,
    ),
    Category(
        "enrolments",
        (
            "school",
            "course_code",
            "course_name",
            "term",
            "role",
            "status",
            "created_at",
            "removed_at",
        ),
        repository.enrollments,
    ),
    Category(
        "attendance",
        (
            "school",
            "lesson_id",
            "lesson_title",
            "joined_at",
            "left_at",
            "leave_reason",
            "closed_at_lesson_end",
        ),
        repository.spans,
    ),
    Category(
        "lesson_summaries",
        (
            "school",
            "lesson_id",
            "lesson_title",
            "attended_seconds",
            "joins",
            "first_join",
            "last_leave",
            "hand_raises",
            "rewards",
            "speaking_ms",
            "camera_seconds",
            "stage_seconds",
            "answers_correct",
            "answers_total",
        ),
        repository.rollups,
    ),
    _event_category("attendance_events", [RecordKind.ATTENDANCE]),
    _event_category("behaviour", [RecordKind.BEHAVIOUR]),
    _event_category("tool_use", [RecordKind.TOOL_USE], except_kinds=[ANSWER_KIND]),
    _event_category("answers", [RecordKind.TOOL_USE], kinds=[ANSWER_KIND]),
    _event_category("diagnostics", [RecordKind.DIAGNOSTICS]),
    Category(
        "teaching_actions",
        EVENT_COLUMNS,
        _events([RecordKind.TEACHER_ACTION, RecordKind.COURSEWARE_USE]),
        _without_people,
        EVENT_DATA,
    ),
    Category(
        "audit_entries",
        ("school", "at", "actor_kind", "record_kind", "action", "purpose", "request_id"),
        repository.audit_about,
    ),
)
FILE_NAMES = (
    "account", "memberships", "oneroster", *(c.name for c in CATEGORIES), "recordings",
)  # fmt: skip

MEMBERSHIP_COLUMNS = (
    "school", "school_name", "role", "status", "age_band", "display_name",
    "registered_by_school", "status_reason", "created_at", "confirmed_at",
)  # fmt: skip
ACCOUNT_COLUMNS = (
    "id", "phone", "phone_masked", "display_name", "registered_via", "status", "created_at",
    "last_login_at", "nickname", "avatar_type", "avatar_size", "avatar_sha256",
)  # fmt: skip
# What a school's OneRoster file said about the person, kept by the import to give back
# (#14): one row per membership that has it.
ONEROSTER_COLUMNS = (
    "school", "role", "sourced_id", "username", "identifier", "email", "given_name",
    "middle_name", "family_name", "grades", "user_ids", "second_phone", "demographics",
    "metadata", "other_fields",
)  # fmt: skip
_ONEROSTER_USER = {
    "username": "username", "identifier": "identifier", "email": "email",
    "given_name": "givenName", "middle_name": "middleName", "family_name": "familyName",
    "grades": "grades", "user_ids": "userIds",
}  # fmt: skip
METADATA = "metadata."
RECORDING_COLUMNS = (
    "school", "lesson_id", "lesson_title", "recorded_at", "duration_seconds", "size_bytes",
    "content_type", "link", "link_expires_at",
)  # fmt: skip


async def category_rows(
    session: AsyncSession, category: Category, schools: list[School], account_id: uuid.UUID
) -> AsyncIterator[tuple[Any, ...]]:
    """The category's rows in every school, the school's slug first."""
    for school in schools:
        await set_tenant(session, school.tenant.id)
        query = category.query(school.tenant.id, account_id)
        slug, clean = school.tenant.slug, category.clean
        async for row in repository.stream(session, query, category.columns[1:]):
            yield (slug, *(clean(row) if clean else row))


def membership_row(school: School) -> tuple[Any, ...]:
    m, t = school.membership, school.tenant
    return (
        t.slug, t.name, m.role, m.status, m.age_band, m.display_name, m.registered_by is not None,
        m.status_reason, m.created_at, m.confirmed_at,
    )  # fmt: skip


def oneroster_row(school: School, unseal: Callable[[str], str]) -> tuple[Any, ...] | None:
    """The membership's OneRoster fields: users.csv's, the second phone (unsealed: this is
    the person's own copy), demographics, `metadata.*` extension columns, and the rest (the
    role's row, preferred names...) as they came. None when the school's file said nothing."""
    m, kept = school.membership, dict(school.membership.oneroster or {})
    if not kept and not m.source_id:
        return None
    user = dict(kept.get("user") or {})
    named = {column: user.pop(field, "") for column, field in _ONEROSTER_USER.items()}
    role_row = dict(kept.get("role") or {})
    metadata = {
        k: v for part in (user, role_row) for k, v in part.items() if k.startswith(METADATA)
    }
    other = {k: v for k, v in user.items() if not k.startswith(METADATA)}
    if role_row := {k: v for k, v in role_row.items() if not k.startswith(METADATA)}:
        other["role"] = role_row
    sealed = kept.get("phone_enc")
    return (
        school.tenant.slug, m.role, m.source_id, *named.values(),
        unseal(sealed) if sealed else "", kept.get("demographics") or {}, metadata, other,
    )  # fmt: skip

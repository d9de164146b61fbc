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

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

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
    clean: Callable[[dict[str, Any]], dict[str, Any]] = lambda row: row


def _events(record_kinds: list[str], **kw: Any) -> Callable[[uuid.UUID, uuid.UUID], Select[Any]]:
    return lambda tenant_id, account_id: repository.events(
        tenant_id, account_id, record_kinds, **kw
    )


def _without_people(row: dict[str, Any]) -> dict[str, Any]:
    data = dict(row.get("data") or {})
    for field in PERSON_FIELDS:
        if data.get(field) is not None:
            data[field] = "a participant"
    return {**row, "data": data}


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
    Category("attendance_events", EVENT_COLUMNS, _events([RecordKind.ATTENDANCE])),
    Category("behaviour", EVENT_COLUMNS, _events([RecordKind.BEHAVIOUR])),
    Category("tool_use", EVENT_COLUMNS, _events([RecordKind.TOOL_USE], except_kinds=[ANSWER_KIND])),
    Category("answers", EVENT_COLUMNS, _events([RecordKind.TOOL_USE], kinds=[ANSWER_KIND])),
    Category("diagnostics", EVENT_COLUMNS, _events([RecordKind.DIAGNOSTICS])),
    Category(
        "teaching_actions",
        EVENT_COLUMNS,
        _events([RecordKind.TEACHER_ACTION, RecordKind.COURSEWARE_USE]),
        _without_people,
    ),
    Category(
        "audit_entries",
        ("school", "at", "actor_kind", "record_kind", "action", "purpose", "request_id"),
        repository.audit_about,
    ),
)
FILE_NAMES = ("account", "memberships", *(c.name for c in CATEGORIES), "recordings")

MEMBERSHIP_COLUMNS = (
    "school", "school_name", "role", "status", "age_band", "display_name",
    "registered_by_school", "status_reason", "created_at", "confirmed_at",
)  # fmt: skip
ACCOUNT_COLUMNS = (
    "id", "phone", "phone_masked", "display_name", "registered_via", "status", "created_at",
    "last_login_at",
)  # fmt: skip
RECORDING_COLUMNS = (
    "school", "lesson_id", "lesson_title", "recorded_at", "duration_seconds", "size_bytes",
    "content_type", "link", "link_expires_at",
)  # fmt: skip


async def category_rows(
    session: AsyncSession, category: Category, schools: list[School], account_id: uuid.UUID
) -> AsyncIterator[dict[str, Any]]:
    """The category's rows in every school, the school's slug first."""
    from app.core.db import set_tenant

    for school in schools:
        await set_tenant(session, school.tenant.id)
        query = category.query(school.tenant.id, account_id)
        async for row in repository.stream(session, query):
            yield {"school": school.tenant.slug, **category.clean(row)}


def membership_row(school: School) -> dict[str, Any]:
    m, t = school.membership, school.tenant
    return {
        "school": t.slug,
        "school_name": t.name,
        "role": m.role,
        "status": m.status,
        "age_band": m.age_band,
        "display_name": m.display_name,
        "registered_by_school": m.registered_by is not None,
        "status_reason": m.status_reason,
        "created_at": m.created_at,
        "confirmed_at": m.confirmed_at,
    }

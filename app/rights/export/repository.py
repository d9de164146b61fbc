"""What Rostra holds about one person, read school by school (`tenant_id` always given).

Reads stream (server-side cursor on PostgreSQL) so a two-year history never sits in memory.
Only rows whose subject is the person are selected: nothing of a classmate comes along.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any, cast

from sqlalchemy import Select, Text, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import Account
from app.authz.models import AuditEntry, AuditSubject
from app.classroom.models import AttendanceSpan, ClassroomEvent, LessonFile, LessonRollup
from app.core.db import set_account
from app.privacy.models import ConsentWithdrawal
from app.rights.export.models import AccessExport, ExportStatus
from app.roster.models import ConsentAttestation, Course, Enrollment, Lesson

STREAM_ROWS = 2000

_EVENT = ClassroomEvent.__table__  # type: ignore[attr-defined]
_SPAN = AttendanceSpan.__table__  # type: ignore[attr-defined]
_ROLLUP = LessonRollup.__table__  # type: ignore[attr-defined]
_LESSON = Lesson.__table__  # type: ignore[attr-defined]
_COURSE = Course.__table__  # type: ignore[attr-defined]
_ENTRY = AuditEntry.__table__  # type: ignore[attr-defined]
_SUBJECT = AuditSubject.__table__  # type: ignore[attr-defined]


async def stream(
    session: AsyncSession, query: Select[Any], columns: Sequence[str]
) -> AsyncIterator[tuple[Any, ...]]:
    """The rows as tuples; `columns` must name the query's columns in order."""
    result = await session.stream(query.execution_options(yield_per=STREAM_ROWS))
    if tuple(result.keys()) != tuple(columns):
        raise ValueError(f"query columns {list(result.keys())} are not {list(columns)}")
    async for partition in result.partitions(STREAM_ROWS):
        for row in partition:
            yield tuple(row)


def _query(query: Any) -> Select[Any]:
    """A typed ORM select as the untyped Core select the categories pass around."""
    return cast("Select[Any]", query)


async def account(session: AsyncSession, account_id: uuid.UUID) -> Account | None:
    """The export's subject, named as `app.account_id` first (the job has no signed-in caller)."""
    await set_account(session, account_id)
    return await session.get(Account, account_id)


def attestations(tenant_id: uuid.UUID, account_id: uuid.UUID) -> Select[Any]:
    a = ConsentAttestation
    return _query(
        select(col(a.given_by), col(a.method), col(a.notice_version), col(a.given_at))
        .where(col(a.tenant_id) == tenant_id, col(a.account_id) == account_id)
        .order_by(col(a.given_at))
    )


def withdrawals(tenant_id: uuid.UUID, account_id: uuid.UUID) -> Select[Any]:
    w = ConsentWithdrawal
    return _query(
        select(col(w.category), col(w.withdrawn_at), col(w.restored_at))
        .where(col(w.tenant_id) == tenant_id, col(w.account_id) == account_id)
        .order_by(col(w.withdrawn_at))
    )


def enrollments(tenant_id: uuid.UUID, account_id: uuid.UUID) -> Select[Any]:
    e = Enrollment
    return (
        select(
            _COURSE.c.code.label("course_code"),
            _COURSE.c.name.label("course_name"),
            _COURSE.c.term,
            col(e.role),
            col(e.status),
            col(e.created_at),
            col(e.removed_at),
        )
        .join(_COURSE, (_COURSE.c.tenant_id == e.tenant_id) & (_COURSE.c.id == e.course_id))
        .where(col(e.tenant_id) == tenant_id, col(e.account_id) == account_id)
        .order_by(col(e.created_at))
    )


def _lesson_join(table: Any) -> Any:
    return (_LESSON.c.tenant_id == table.c.tenant_id) & (_LESSON.c.id == table.c.lesson_id)


def spans(tenant_id: uuid.UUID, account_id: uuid.UUID) -> Select[Any]:
    return (
        select(
            _SPAN.c.lesson_id,
            _LESSON.c.title.label("lesson_title"),
            _SPAN.c.joined_at,
            _SPAN.c.left_at,
            _SPAN.c.leave_reason,
            _SPAN.c.closed_at_lesson_end,
        )
        .join(_LESSON, _lesson_join(_SPAN))
        .where(_SPAN.c.tenant_id == tenant_id, _SPAN.c.account_id == account_id)
        .order_by(_SPAN.c.joined_at)
    )


def rollups(tenant_id: uuid.UUID, account_id: uuid.UUID) -> Select[Any]:
    r = _ROLLUP.c
    return (
        select(
            r.lesson_id,
            _LESSON.c.title.label("lesson_title"),
            r.attended_seconds,
            r.joins,
            r.first_join,
            r.last_leave,
            r.hand_raises,
            r.rewards,
            r.speaking_ms,
            r.camera_seconds,
            r.stage_seconds,
            r.answers_correct,
            r.answers_total,
        )
        .join(_LESSON, _lesson_join(_ROLLUP))
        .where(r.tenant_id == tenant_id, r.account_id == account_id)
        .order_by(r.first_join)
    )


def events(
    tenant_id: uuid.UUID,
    account_id: uuid.UUID,
    record_kinds: Sequence[str],
    *,
    kinds: Sequence[str] = (),
    except_kinds: Sequence[str] = (),
) -> Select[Any]:
    e = _EVENT.c
    data = sql_cast(e.data, Text).label("data")  # JSON text, written into the zip as it is
    query = select(e.lesson_id, e.at, e.kind, data, e.ip_prefix, e.ip_hash, e.received_at).where(
        e.tenant_id == tenant_id, e.account_id == account_id, e.record_kind.in_(record_kinds)
    )
    if kinds:
        query = query.where(e.kind.in_(kinds))
    if except_kinds:
        query = query.where(e.kind.not_in(except_kinds))
    return query.order_by(e.at, e.id)


def audit_about(tenant_id: uuid.UUID, account_id: uuid.UUID) -> Select[Any]:
    c = _ENTRY.c
    return (
        select(c.at, c.actor_kind, c.record_kind, c.action, c.purpose, c.request_id)
        .join(_SUBJECT, (_SUBJECT.c.tenant_id == c.tenant_id) & (_SUBJECT.c.entry_id == c.id))
        .where(_SUBJECT.c.tenant_id == tenant_id, _SUBJECT.c.account_id == account_id)
        .order_by(c.id)
    )


async def recordings(
    session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID
) -> list[tuple[LessonFile, str]]:
    """Recordings of the lessons the person attended, with each lesson's title."""
    attended = select(col(AttendanceSpan.lesson_id)).where(
        col(AttendanceSpan.tenant_id) == tenant_id, col(AttendanceSpan.account_id) == account_id
    )
    result = await session.execute(
        select(LessonFile, col(Lesson.title))
        .join(
            Lesson,
            (col(Lesson.tenant_id) == col(LessonFile.tenant_id))
            & (col(Lesson.id) == col(LessonFile.lesson_id)),
        )
        .where(
            col(LessonFile.tenant_id) == tenant_id,
            col(LessonFile.kind) == "recording",
            col(LessonFile.lesson_id).in_(attended),
        )
        .order_by(col(LessonFile.created_at))
    )
    return [(f, t) for f, t in result.all()]


# --- the export rows themselves ------------------------------------------------------------


async def export_by_id(session: AsyncSession, export_id: uuid.UUID) -> AccessExport | None:
    return await session.get(AccessExport, export_id)


async def open_export(
    session: AsyncSession, account_id: uuid.UUID, requested_by: uuid.UUID
) -> AccessExport | None:
    """An export of this person for this requester that is still being built."""
    result = await session.execute(
        select(AccessExport)
        .where(
            col(AccessExport.account_id) == account_id,
            col(AccessExport.requested_by) == requested_by,
            col(AccessExport.status).in_([ExportStatus.queued, ExportStatus.running]),
        )
        .order_by(col(AccessExport.created_at).desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def export_for_request(session: AsyncSession, request_id: uuid.UUID) -> AccessExport | None:
    """The export that fulfils a rights request (for `GET /v1/me/requests/{id}/download`)."""
    result = await session.execute(
        select(AccessExport)
        .where(col(AccessExport.request_id) == request_id)
        .order_by(col(AccessExport.created_at).desc())
        .limit(1)
    )
    return result.scalar_one_or_none()

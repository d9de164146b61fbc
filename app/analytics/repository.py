"""Analytics queries: rollups, roster and spans; every one takes the school (`tenant_id`).

Dashboards read `lesson_rollup` (kept current at ingestion), never the raw events; only the
one-lesson timeline and a student's own answers read events, through their indexes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, and_, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import Account
from app.analytics.models import LessonTally
from app.classroom.ingest.rollups import BUZZER_WINS
from app.classroom.models import AttendanceSpan, ClassroomEvent, LessonFile, LessonRollup
from app.roster.models import Course, Enrollment, Lesson, LessonStatus
from app.tenancy.models import Membership


@dataclass(frozen=True, slots=True)
class Person:
    id: uuid.UUID
    display_name: str | None
    phone_masked: str | None


def _school_name(tenant_id: uuid.UUID) -> Any:
    """The person's name on this school's roster (the school's words), if it has one."""
    return (
        select(col(Membership.display_name))
        .where(
            col(Membership.tenant_id) == tenant_id,
            col(Membership.account_id) == col(Account.id),
            col(Membership.display_name).is_not(None),
        )
        .limit(1)
        .scalar_subquery()
    )


def _person(row: Any) -> Person:
    return Person(id=row[0], display_name=row[1] or row[2], phone_masked=row[3])


async def people(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Person]:
    if not ids:
        return {}
    query = select(
        col(Account.id),
        _school_name(tenant_id),
        col(Account.display_name),
        col(Account.phone_masked),
    ).where(col(Account.id).in_(sorted(set(ids))))
    return {row[0]: _person(row) for row in (await session.execute(query)).all()}


async def students_of_course(
    session: AsyncSession, tenant_id: uuid.UUID, course_id: uuid.UUID, visible: ColumnElement[bool]
) -> list[Person]:
    """The course's active students the caller may see, by name."""
    query = (
        select(
            col(Account.id),
            _school_name(tenant_id),
            col(Account.display_name),
            col(Account.phone_masked),
        )
        .join(Enrollment, col(Enrollment.account_id) == col(Account.id))
        .where(
            col(Enrollment.tenant_id) == tenant_id,
            col(Enrollment.course_id) == course_id,
            col(Enrollment.role) == "student",
            col(Enrollment.status) == "active",
            visible,
        )
    )
    found = [_person(row) for row in (await session.execute(query)).all()]
    return sorted(found, key=lambda p: (p.display_name or "", str(p.id)))


async def course_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, course_id: uuid.UUID, visible: ColumnElement[bool]
) -> Course | None:
    result = await session.execute(
        select(Course).where(
            col(Course.tenant_id) == tenant_id, col(Course.id) == course_id, visible
        )
    )
    return result.scalar_one_or_none()


async def lesson_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, lesson_id: uuid.UUID, visible: ColumnElement[bool]
) -> Lesson | None:
    result = await session.execute(
        select(Lesson).where(
            col(Lesson.tenant_id) == tenant_id, col(Lesson.id) == lesson_id, visible
        )
    )
    return result.scalar_one_or_none()


def held(now: datetime) -> ColumnElement[bool]:
    """Lessons that took place: started (planned or actual) by now and not cancelled."""
    return and_(col(Lesson.starts_at) <= now, col(Lesson.status) != LessonStatus.cancelled)


async def lessons_of_courses(
    session: AsyncSession, tenant_id: uuid.UUID, course_ids: Sequence[uuid.UUID], *where: Any
) -> list[Lesson]:
    if not course_ids:
        return []
    query = (
        select(Lesson)
        .where(col(Lesson.tenant_id) == tenant_id, col(Lesson.course_id).in_(course_ids), *where)
        .order_by(col(Lesson.starts_at), col(Lesson.id))
    )
    return list((await session.execute(query)).scalars())


async def rollups_of_lessons(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    lesson_ids: Sequence[uuid.UUID],
    *where: ColumnElement[bool],
) -> list[LessonRollup]:
    if not lesson_ids:
        return []
    query = select(LessonRollup).where(
        col(LessonRollup.tenant_id) == tenant_id,
        col(LessonRollup.lesson_id).in_(lesson_ids),
        *where,
    )
    return list((await session.execute(query)).scalars())


async def rollup_figures(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    lesson_ids: Sequence[uuid.UUID],
    account_ids: Sequence[uuid.UUID],
) -> Sequence[Any]:
    """The figures of many rollups as plain rows (no ORM objects: a course view reads 800)."""
    if not lesson_ids or not account_ids:
        return []
    r = LessonRollup
    query = select(
        col(r.lesson_id), col(r.account_id), col(r.attended_seconds), col(r.joins),
        col(r.first_join), col(r.hand_raises), col(r.rewards), col(r.speaking_ms),
        col(r.camera_seconds), col(r.stage_seconds), col(r.answers_correct),
        col(r.answers_total),
        cast(Any, r.counts)[BUZZER_WINS].as_integer().label("buzzer_wins"),
    ).where(
        col(r.tenant_id) == tenant_id,
        col(r.lesson_id).in_(lesson_ids),
        col(r.account_id).in_(account_ids),
    )  # fmt: skip
    return (await session.execute(query)).all()


# The figures a rollup and a tally share (the tally sums them), by column name.
SUMMED = (
    "attended_seconds", "joins", "hand_raises", "rewards", "speaking_ms", "camera_seconds",
    "stage_seconds", "answers_correct", "answers_total",
)  # fmt: skip


async def lesson_counts(
    session: AsyncSession, tenant_id: uuid.UUID, lesson_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, int]]:
    """Per lesson, `participants` and the `SUMMED` figures: its rollups on record plus its
    tally (the rollups the sweep anonymised), in one statement."""
    if not lesson_ids:
        return {}
    rollup = LessonRollup.__table__  # type: ignore[attr-defined]
    tally = LessonTally.__table__  # type: ignore[attr-defined]
    live = (
        select(
            rollup.c.lesson_id,
            func.count().label("participants"),
            *(func.sum(rollup.c[name]).label(name) for name in SUMMED),
        )
        .where(rollup.c.tenant_id == tenant_id, rollup.c.lesson_id.in_(lesson_ids))
        .group_by(rollup.c.lesson_id)
    )
    kept = select(
        tally.c.lesson_id,
        tally.c.participants,
        *(tally.c[name] for name in SUMMED),
    ).where(tally.c.tenant_id == tenant_id, tally.c.lesson_id.in_(lesson_ids))
    both = union_all(live, kept).subquery("both")
    query = select(
        both.c.lesson_id,
        *(func.sum(both.c[name]).label(name) for name in ("participants", *SUMMED)),
    ).group_by(both.c.lesson_id)
    return {
        row.lesson_id: {name: int(row._mapping[name] or 0) for name in ("participants", *SUMMED)}
        for row in (await session.execute(query)).all()
    }


async def leave_reasons(
    session: AsyncSession, tenant_id: uuid.UUID, lesson_id: uuid.UUID
) -> dict[uuid.UUID, list[str]]:
    """Per person, the reasons of their leaves in the lesson, in time order."""
    query = (
        select(col(AttendanceSpan.account_id), col(AttendanceSpan.leave_reason))
        .where(
            col(AttendanceSpan.tenant_id) == tenant_id,
            col(AttendanceSpan.lesson_id) == lesson_id,
            col(AttendanceSpan.leave_reason).is_not(None),
        )
        .order_by(col(AttendanceSpan.joined_at))
    )
    reasons: dict[uuid.UUID, list[str]] = {}
    for account_id, reason in (await session.execute(query)).all():
        reasons.setdefault(account_id, []).append(str(reason))
    return reasons


async def courses_of_student(
    session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID
) -> list[Course]:
    query = (
        select(Course)
        .join(
            Enrollment,
            and_(
                col(Enrollment.tenant_id) == col(Course.tenant_id),
                col(Enrollment.course_id) == col(Course.id),
            ),
        )
        .where(
            col(Course.tenant_id) == tenant_id,
            col(Enrollment.account_id) == account_id,
            col(Enrollment.role) == "student",
            col(Enrollment.status) == "active",
        )
        .order_by(col(Course.code))
    )
    return list((await session.execute(query)).scalars())


async def answers_of(
    session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID, lesson_ids: Sequence[Any]
) -> list[ClassroomEvent]:
    """The person's own answerer events (index on school, account, time)."""
    if not lesson_ids:
        return []
    query = (
        select(ClassroomEvent)
        .where(
            col(ClassroomEvent.tenant_id) == tenant_id,
            col(ClassroomEvent.account_id) == account_id,
            col(ClassroomEvent.kind) == "tool.answerer",
            col(ClassroomEvent.lesson_id).in_(lesson_ids),
        )
        .order_by(col(ClassroomEvent.at), col(ClassroomEvent.id))
    )
    return list((await session.execute(query)).scalars())


async def recordings_of(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    lesson_ids: Sequence[Any],
    visible: ColumnElement[bool],
) -> list[LessonFile]:
    if not lesson_ids:
        return []
    query = (
        select(LessonFile)
        .join(
            Lesson,
            and_(
                col(Lesson.tenant_id) == col(LessonFile.tenant_id),
                col(Lesson.id) == col(LessonFile.lesson_id),
            ),
        )
        .where(
            col(LessonFile.tenant_id) == tenant_id,
            col(LessonFile.kind) == "recording",
            col(LessonFile.lesson_id).in_(lesson_ids),
            visible,
        )
        .order_by(col(LessonFile.created_at), col(LessonFile.id))
    )
    return list((await session.execute(query)).scalars())

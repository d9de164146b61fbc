"""Teacher dashboards: one lesson, one course across its lessons (rollups, never raw events)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Uuid, literal
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.analytics import repository, scoring
from app.analytics.repository import Person
from app.analytics.schemas import (
    CourseOut,
    CourseRow,
    CourseView,
    FormulaOut,
    LessonCell,
    LessonCounts,
    LessonOut,
    LessonRow,
    LessonView,
    PersonOut,
    TrendPoint,
)
from app.analytics.scoring import Participation, Status
from app.authz.access import Access
from app.classroom.ingest.rollups import BUZZER_WINS
from app.classroom.models import LessonRollup
from app.core import clock
from app.core.errors import NotFound
from app.core.ids import parse_id
from app.core.vocabulary import Scope
from app.roster.models import Course, Enrollment, Lesson
from app.roster.scopes import course_person_predicate, course_predicate
from app.tenancy.models import Tenant

T = TypeVar("T")


def formula_of(tenant: Tenant) -> FormulaOut:
    return FormulaOut(late_after_minutes=tenant.late_after_minutes, time_zone=tenant.time_zone)


def lesson_out(lesson: Lesson) -> LessonOut:
    return LessonOut(
        id=lesson.id,
        course_id=lesson.course_id,
        title=lesson.title,
        planned_start=lesson.starts_at,
        actual_start=lesson.actual_start,
        actual_end=lesson.actual_end,
        minutes=round(lesson_seconds(lesson) / 60, 2),
    )


def lesson_start(lesson: Lesson) -> datetime:
    return lesson.actual_start or lesson.starts_at


def lesson_seconds(lesson: Lesson) -> int:
    if lesson.actual_start is not None and lesson.actual_end is not None:
        return max(0, round((lesson.actual_end - lesson.actual_start).total_seconds()))
    return lesson.duration_minutes * 60


def person_out(person: Person) -> PersonOut:
    return PersonOut(
        id=person.id, display_name=person.display_name, phone_masked=person.phone_masked
    )


def participation(rollup: Any, lesson: Lesson) -> Participation:
    """From a rollup (or a row of its figures, `repository.rollup_figures`); None: absent."""
    r = rollup
    return Participation(
        attended_seconds=r.attended_seconds if r else 0,
        lesson_seconds=lesson_seconds(lesson),
        hand_raises=r.hand_raises if r else 0,
        speaking_seconds=r.speaking_ms / 1000 if r else 0.0,
        camera_seconds=r.camera_seconds if r else 0,
        answers_correct=r.answers_correct if r else 0,
        answers_total=r.answers_total if r else 0,
        rewards=r.rewards if r else 0,
    )


def status_of(rollup: Any, lesson: Lesson, tenant: Tenant) -> Status:
    first = rollup.first_join if rollup is not None and rollup.joins > 0 else None
    return scoring.status(first, lesson_start(lesson), tenant.late_after_minutes)


def lesson_row(
    person: Person, rollup: LessonRollup | None, lesson: Lesson, tenant: Tenant, reasons: list[str]
) -> LessonRow:
    p = participation(rollup, lesson)
    counts = rollup.counts if rollup else {}
    return LessonRow(
        user=person_out(person),
        status=status_of(rollup, lesson, tenant),
        first_join=rollup.first_join if rollup else None,
        last_leave=rollup.last_leave if rollup else None,
        joins=rollup.joins if rollup else 0,
        leave_reasons=reasons,
        minutes=round(p.attended_seconds / 60, 2),
        stage_seconds=rollup.stage_seconds if rollup else 0,
        speaking_seconds=p.speaking_seconds,
        camera_seconds=p.camera_seconds,
        hand_raises=p.hand_raises,
        rewards=p.rewards,
        answers_correct=p.answers_correct,
        answers_total=p.answers_total,
        buzzer_wins=int(counts.get(BUZZER_WINS, 0)),
        removals=int(counts.get("behaviour.removed", 0)),
        activity_score=scoring.activity_score(p),
        score_components={k: round(v, 3) for k, v in scoring.components(p).items()},
    )


# A dashboard shows a whole class: only course-wide scopes open one. Students and
# guardians (self, children) read their own learning record instead.
DASHBOARD_SCOPES = frozenset({Scope.TENANT, Scope.TAUGHT_COURSES})


def _class_wide(access: Access) -> Access:
    return replace(access, scopes=access.scopes & DASHBOARD_SCOPES)


async def visible_lesson(session: AsyncSession, access: Access, lesson_id: str) -> Lesson:
    """The lesson, if its course is one the caller teaches (or the whole school); else 404."""
    return await _visible(
        repository.lesson_by_id, session, access, lesson_id, col(Lesson.course_id), "lesson"
    )


async def visible_course(session: AsyncSession, access: Access, course_id: str) -> Course:
    """The course, if the caller teaches it (or sees the whole school); else 404."""
    return await _visible(
        repository.course_by_id, session, access, course_id, col(Course.id), "course"
    )


async def _visible(
    find: Callable[[AsyncSession, uuid.UUID, uuid.UUID, ColumnElement[bool]], Awaitable[T | None]],
    session: AsyncSession,
    access: Access,
    raw_id: str,
    course_column: Any,
    what: str,
) -> T:
    parsed = parse_id(raw_id)
    visible = course_predicate(_class_wide(access), course_column)
    found = await find(session, access.tenant_id, parsed, visible) if parsed else None
    if found is None:
        raise NotFound(f"no such {what}")
    return found


async def _students(session: AsyncSession, access: Access, course_id: uuid.UUID) -> list[Person]:
    course = literal(course_id, Uuid())
    visible = course_person_predicate(access, course, col(Enrollment.account_id))
    return await repository.students_of_course(session, access.tenant_id, course_id, visible)


async def lesson_view(session: AsyncSession, access: Access, lesson_id: str) -> LessonView:
    """Every enrolled student of the lesson's course, present or not, with their figures."""
    lesson = await visible_lesson(session, access, lesson_id)
    students = await _students(session, access, lesson.course_id)
    ids = [s.id for s in students]
    rollups = await repository.rollups_of_lessons(
        session, access.tenant_id, [lesson.id], col(LessonRollup.account_id).in_(ids)
    )
    by_person = {r.account_id: r for r in rollups}
    reasons = await repository.leave_reasons(session, access.tenant_id, lesson.id)
    rows = [
        lesson_row(s, by_person.get(s.id), lesson, access.tenant, reasons.get(s.id, []))
        for s in students
    ]
    return LessonView(lesson=lesson_out(lesson), items=rows, formula=formula_of(access.tenant))


@dataclass(frozen=True, slots=True)
class _Held:
    """What every cell of one lesson shares, worked out once per lesson."""

    id: uuid.UUID
    seconds: int
    late_after: datetime  # a first join after this is late


def _held(lesson: Lesson, tenant: Tenant) -> _Held:
    cutoff = lesson_start(lesson) + timedelta(minutes=tenant.late_after_minutes)
    return _Held(id=lesson.id, seconds=lesson_seconds(lesson), late_after=cutoff)


def _cell(held: _Held, r: Any) -> tuple[LessonCell, Participation, Any]:
    if r is None or not r.joins:
        state = Status.ABSENT
    else:
        state = Status.LATE if r.first_join > held.late_after else Status.PRESENT
    p = Participation(
        attended_seconds=r.attended_seconds if r else 0,
        lesson_seconds=held.seconds,
        hand_raises=r.hand_raises if r else 0,
        speaking_seconds=r.speaking_ms / 1000 if r else 0.0,
        camera_seconds=r.camera_seconds if r else 0,
        answers_correct=r.answers_correct if r else 0,
        answers_total=r.answers_total if r else 0,
        rewards=r.rewards if r else 0,
    )
    cell = LessonCell.model_construct(  # built from checked values: no validation per cell
        lesson_id=held.id,
        status=state,
        minutes=round(p.attended_seconds / 60, 2),
        activity_score=scoring.activity_score(p),
    )
    return cell, p, r


def _course_row(
    person: Person, lessons: Sequence[_Held], rollups: dict[tuple[uuid.UUID, uuid.UUID], Any]
) -> CourseRow:
    made = [_cell(held, rollups.get((held.id, person.id))) for held in lessons]
    cells = [c for c, _, _ in made]
    figures = [p for _, p, _ in made]
    found = [r for _, _, r in made if r is not None]
    statuses = [c.status for c in cells]
    scores = [c.activity_score for c in cells]
    held = len(cells)
    absent = statuses.count(Status.ABSENT)
    return CourseRow.model_construct(
        user=person_out(person),
        status=statuses,
        lessons=cells,
        lessons_held=held,
        present=statuses.count(Status.PRESENT),
        late=statuses.count(Status.LATE),
        absent=absent,
        attendance_rate=round((held - absent) / held, 3) if held else 0.0,
        minutes=round(sum(p.attended_seconds for p in figures) / 60, 2),
        hand_raises=sum(p.hand_raises for p in figures),
        rewards=sum(p.rewards for p in figures),
        speaking_seconds=round(sum(p.speaking_seconds for p in figures), 3),
        camera_seconds=sum(p.camera_seconds for p in figures),
        stage_seconds=sum(r.stage_seconds for r in found),
        answers_correct=sum(p.answers_correct for p in figures),
        answers_total=sum(p.answers_total for p in figures),
        buzzer_wins=sum(r.buzzer_wins or 0 for r in found),
        activity_score=round(sum(scores) / held, 1) if held else 0.0,
        dropped=scoring.dropped(statuses, scores),
    )


def counts_out(figures: dict[str, int] | None) -> LessonCounts:
    """A lesson's person-less counts (`repository.lesson_counts`); none: nothing on record."""
    if not figures:
        return LessonCounts()
    return LessonCounts(
        participants=figures["participants"],
        minutes=round(figures["attended_seconds"] / 60, 2),
        joins=figures["joins"],
        hand_raises=figures["hand_raises"],
        rewards=figures["rewards"],
        speaking_seconds=round(figures["speaking_ms"] / 1000, 3),
        camera_seconds=figures["camera_seconds"],
        stage_seconds=figures["stage_seconds"],
        answers_correct=figures["answers_correct"],
        answers_total=figures["answers_total"],
    )


def _trend(
    lessons: Sequence[Lesson],
    rows: Sequence[CourseRow],
    counts: dict[uuid.UUID, dict[str, int]],
) -> list[TrendPoint]:
    points = []
    for index, lesson in enumerate(lessons):
        cells = [row.lessons[index] for row in rows]
        came = sum(1 for c in cells if c.status is not Status.ABSENT)
        points.append(
            TrendPoint(
                lesson_id=lesson.id,
                title=lesson.title,
                planned_start=lesson.starts_at,
                attendance_rate=round(came / len(cells), 3) if cells else 0.0,
                mean_activity_score=(
                    round(sum(c.activity_score for c in cells) / len(cells), 1) if cells else 0.0
                ),
                counts=counts_out(counts.get(lesson.id)),
            )
        )
    return points


async def course_view(session: AsyncSession, access: Access, course_id: str) -> CourseView:
    """Each student across the course's lessons held so far, and the course's trend."""
    course = await visible_course(session, access, course_id)
    lessons = await repository.lessons_of_courses(
        session, access.tenant_id, [course.id], repository.held(clock.now())
    )
    students = await _students(session, access, course.id)
    ids = [s.id for s in students]
    found = await repository.rollup_figures(
        session, access.tenant_id, [lesson.id for lesson in lessons], ids
    )
    rollups = {(r.lesson_id, r.account_id): r for r in found}
    shared = [_held(lesson, access.tenant) for lesson in lessons]
    rows = [_course_row(s, shared, rollups) for s in students]
    counts = await repository.lesson_counts(
        session, access.tenant_id, [lesson.id for lesson in lessons]
    )
    return CourseView(
        course=CourseOut(id=course.id, code=course.code, name=course.name, term=course.term),
        lessons=[lesson_out(lesson) for lesson in lessons],
        trend=_trend(lessons, rows, counts),
        items=rows,
        formula=formula_of(access.tenant),
    )

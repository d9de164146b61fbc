"""The student's learning record (also read by a guardian for a child): rollups of their own
lessons, timetable, recordings they may watch, their answers; classmates only as the class
saw them live, where the school allows it (VIS-1)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.analytics import repository, service
from app.analytics.schemas import (
    AnswerOut,
    ClassmateSeen,
    CourseOut,
    Figures,
    LearningRecord,
    RecordingOut,
    RecordLesson,
    TimetableEntry,
)
from app.analytics.scoring import Status
from app.authz.access import Access
from app.classroom.models import ClassroomEvent, LessonFile, LessonRollup
from app.classroom.visibility import file_predicate
from app.core import clock
from app.core.errors import Forbidden, Invalid, NotFound
from app.core.ids import parse_id
from app.core.vocabulary import Scope
from app.roster.members.repository import guardianship
from app.roster.models import Lesson, LessonStatus


@dataclass(frozen=True, slots=True)
class RecordAccess:
    """The decisions one learning record needs: rollups, and (where allowed) more."""

    rollup: Access
    recording: Access | None  # None: the role may not list recordings
    class_visible: Access | None  # the behaviour decision, when it has the class_visible scope


def local(at: datetime, zone: ZoneInfo) -> datetime:
    return at.astimezone(zone)


def _week(at: datetime) -> str:
    year, week, _ = at.isocalendar()
    return f"{year}-W{week:02d}"


def _record_lesson(lesson: Lesson, rollup: LessonRollup | None, access: Access) -> RecordLesson:
    zone = ZoneInfo(access.tenant.time_zone)
    row = service.lesson_row(
        repository.Person(uuid.UUID(int=0), None, None), rollup, lesson, access.tenant, []
    )
    there = local(lesson.starts_at, zone)
    return RecordLesson(
        lesson_id=lesson.id,
        course_id=lesson.course_id,
        title=lesson.title,
        planned_start=lesson.starts_at,
        local_date=there.date().isoformat(),
        week=_week(there),
        status=row.status,
        counts=dict(rollup.counts) if rollup else {},
        **row.model_dump(include=set(Figures.model_fields)),
    )


async def _classmates(
    session: AsyncSession, access: Access, student_id: uuid.UUID, lessons: Sequence[Lesson]
) -> tuple[dict[str, list[ClassmateSeen]], set[uuid.UUID]]:
    held = {lesson.id: lesson for lesson in lessons}
    rollups = await repository.rollups_of_lessons(
        session, access.tenant_id, list(held), col(LessonRollup.account_id) != student_id
    )
    # Only classmates enrolled as students: the teacher is not a classmate.
    course_ids = {lesson.course_id for lesson in lessons}
    students: dict[uuid.UUID, set[uuid.UUID]] = {}
    for course_id in course_ids:
        people = await repository.students_of_course(session, access.tenant_id, course_id, true())
        students[course_id] = {p.id for p in people}
    names = await repository.people(session, access.tenant_id, [r.account_id for r in rollups])
    seen: dict[str, list[ClassmateSeen]] = {}
    shown: set[uuid.UUID] = set()
    for r in rollups:
        lesson = held[r.lesson_id]
        if r.account_id not in students[lesson.course_id]:
            continue
        shown.add(r.account_id)
        seen.setdefault(str(r.lesson_id), []).append(
            ClassmateSeen(
                display_name=names[r.account_id].display_name if r.account_id in names else None,
                present=service.status_of(r, lesson, access.tenant) is not Status.ABSENT,
                hand_raises=r.hand_raises,
                rewards=r.rewards,
            )
        )
    return seen, shown


def _timetable(coming: Sequence[Lesson], zone: ZoneInfo) -> list[TimetableEntry]:
    return [
        TimetableEntry(
            lesson_id=x.id,
            course_id=x.course_id,
            title=x.title,
            starts_at=x.starts_at,
            local_start=local(x.starts_at, zone).isoformat(),
            duration_minutes=x.duration_minutes,
        )
        for x in coming
    ]


def _recording(f: LessonFile) -> RecordingOut:
    return RecordingOut(
        id=f.id, lesson_id=f.lesson_id, duration_seconds=f.duration_seconds, created_at=f.created_at
    )


def _answer(e: ClassroomEvent) -> AnswerOut:
    return AnswerOut(
        lesson_id=e.lesson_id,
        at=e.at,
        question=str(e.data.get("question", "")),
        choice=str(e.data.get("choice", "")),
        correct=bool(e.data.get("correct")),
    )


async def learning_record(
    session: AsyncSession, decided: RecordAccess, student_id: uuid.UUID
) -> tuple[LearningRecord, set[uuid.UUID]]:
    """The record and the classmates it shows (audited with the student)."""
    access = decided.rollup
    tenant_id = access.tenant_id
    zone = ZoneInfo(access.tenant.time_zone)
    people = await repository.people(session, tenant_id, [student_id])
    if student_id not in people:
        raise NotFound("no such student")
    courses = await repository.courses_of_student(session, tenant_id, student_id)
    course_ids = [c.id for c in courses]
    now = clock.now()
    lessons = await repository.lessons_of_courses(session, tenant_id, course_ids)
    held = [x for x in lessons if x.starts_at <= now and x.status != LessonStatus.cancelled]
    coming = [x for x in lessons if x.starts_at > now and x.status != LessonStatus.cancelled]
    found = await repository.rollups_of_lessons(
        session, tenant_id, [x.id for x in held], col(LessonRollup.account_id) == student_id
    )
    mine = {r.lesson_id: r for r in found}
    recordings = []
    if decided.recording is not None:
        visible = file_predicate(decided.recording, col(Lesson.course_id))
        recordings = await repository.recordings_of(
            session, tenant_id, [x.id for x in held], visible
        )
    answers = await repository.answers_of(session, tenant_id, student_id, [x.id for x in held])
    classmates: dict[str, list[ClassmateSeen]] = {}
    shown: set[uuid.UUID] = set()
    if decided.class_visible is not None:
        classmates, shown = await _classmates(session, decided.class_visible, student_id, held)
    record = LearningRecord(
        school=access.tenant.slug,
        student=service.person_out(people[student_id]),
        courses=[CourseOut(id=c.id, code=c.code, name=c.name, term=c.term) for c in courses],
        timetable=_timetable(coming, zone),
        lessons=[_record_lesson(x, mine.get(x.id), access) for x in held],
        recordings=[_recording(f) for f in recordings],
        answers=[_answer(e) for e in answers],
        classmates=classmates,
        formula=service.formula_of(access.tenant),
    )
    return record, shown


async def subject_of(session: AsyncSession, access: Access, student: str | None) -> uuid.UUID:
    """Whose record: mine (self scope), or a child's (children scope); else 404."""
    me = access.account_id
    if not access.scopes & {Scope.SELF, Scope.CHILDREN}:
        raise Forbidden("a learning record is a student's, or a guardian's for a child")
    if student is None:
        if Scope.SELF not in access.scopes:
            raise Invalid("student", "a guardian names the child: ?student=<account id>")
        return me
    wanted = parse_id(student)
    if wanted is None:
        raise NotFound("no such student")
    if wanted == me and Scope.SELF in access.scopes:
        return me
    if Scope.CHILDREN in access.scopes and await guardianship(
        session, access.tenant_id, me, wanted
    ):
        return wanted
    raise NotFound("no such student")

"""School reports: course management and teaching quality (de-identified ones: deidentified.py)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.analytics import report_repository as repo
from app.analytics import repository
from app.analytics.report_schemas import (
    CourseReport,
    CourseReportRow,
    QualityOfService,
    TeacherOut,
    TeacherQualityRow,
    TeachingQualityReport,
)
from app.analytics.schemas import CourseOut, LessonCounts
from app.analytics.service import counts_out
from app.authz.access import Access
from app.core import clock
from app.roster.models import Course, Lesson, LessonStatus
from app.roster.scopes import course_predicate

PROBLEM_LATENCY_MS = 400.0
PROBLEM_PACKET_LOSS = 0.05
PROBLEM_RULE = (
    f"A sampled lesson has a problem when its mean latency is over {PROBLEM_LATENCY_MS:g} ms "
    f"or its mean packet loss over {PROBLEM_PACKET_LOSS:.0%}."
)


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def _minutes(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return (later - earlier).total_seconds() / 60


def _was_held(lesson: Lesson, now: datetime) -> bool:
    return lesson.starts_at <= now and lesson.status != LessonStatus.cancelled


async def _scope(
    session: AsyncSession, access: Access
) -> tuple[list[Course], list[Lesson], list[Lesson]]:
    """The courses the caller's report scope reaches, their lessons, the lessons held."""
    found = await repo.courses(session, access.tenant_id, course_predicate(access, col(Course.id)))
    lessons = await repository.lessons_of_courses(session, access.tenant_id, [c.id for c in found])
    now = clock.now()
    return found, lessons, [x for x in lessons if _was_held(x, now)]


def _quality(
    lessons: Iterable[Lesson], samples: dict[uuid.UUID, tuple[int, float | None, float | None]]
) -> QualityOfService:
    sampled = [samples[x.id] for x in lessons if x.id in samples]
    latencies = [s[1] for s in sampled if s[1] is not None]
    losses = [s[2] for s in sampled if s[2] is not None]
    problems = sum(
        1
        for _, latency, loss in sampled
        if (latency or 0) > PROBLEM_LATENCY_MS or (loss or 0) > PROBLEM_PACKET_LOSS
    )
    return QualityOfService(
        lessons_with_samples=len(sampled),
        mean_latency_ms=_mean(latencies),
        mean_packet_loss=None if not losses else round(sum(losses) / len(losses), 4),
        lessons_with_problems_share=round(problems / len(sampled), 3) if sampled else None,
    )


async def course_report(
    session: AsyncSession, access: Access
) -> tuple[CourseReport, set[uuid.UUID]]:
    """Per course: lessons planned and held, start delay, duration, on stage, attendance,
    quality of service. Returns the teachers it names (the report's subjects)."""
    courses, lessons, held = await _scope(session, access)
    course_ids = [c.id for c in courses]
    held_ids = [x.id for x in held]
    students: dict[uuid.UUID, int] = defaultdict(int)
    for course_id, _ in await repo.enrolled(session, access.tenant_id, course_ids, "student"):
        students[course_id] += 1
    teachers: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for course_id, account_id in await repo.enrolled(
        session, access.tenant_id, course_ids, "teacher"
    ):
        teachers[course_id].append(account_id)
    named = {a for ids in teachers.values() for a in ids}
    names = await repository.people(session, access.tenant_id, sorted(named))
    presence = await repo.presence_by_lesson(session, access.tenant_id, held_ids)
    samples = await repo.diagnostics_by_lesson(session, access.tenant_id, held_ids)
    counts = await repository.lesson_counts(session, access.tenant_id, held_ids)
    rows = []
    for course in courses:
        mine = [x for x in lessons if x.course_id == course.id]
        done = [x for x in held if x.course_id == course.id]
        delays = [m for x in done if (m := _minutes(x.actual_start, x.starts_at)) is not None]
        lengths = [m for x in done if (m := _minutes(x.actual_end, x.actual_start)) is not None]
        came = sum(presence.get(x.id, (0, 0))[0] for x in done)
        staged = [float(presence.get(x.id, (0, 0))[1]) for x in done]
        expected = students[course.id] * len(done)
        rows.append(
            CourseReportRow(
                course=CourseOut(
                    id=course.id, code=course.code, name=course.name, term=course.term
                ),
                teachers=[
                    TeacherOut(id=t, display_name=names[t].display_name if t in names else None)
                    for t in teachers[course.id]
                ],
                students=students[course.id],
                lessons_planned=len(mine),
                lessons_held=len(done),
                mean_start_delay_minutes=_mean(delays),
                mean_duration_minutes=_mean(lengths),
                mean_on_stage=_mean(staged),
                attendance_rate=round(came / expected, 3) if expected else None,
                quality_of_service=_quality(done, samples),
                counts=sum((counts_out(counts.get(x.id)) for x in done), LessonCounts()),
            )
        )
    return CourseReport(items=rows, problem_rule=PROBLEM_RULE), named


async def teaching_quality(
    session: AsyncSession, access: Access
) -> tuple[TeachingQualityReport, set[uuid.UUID]]:
    """Per teacher of the lessons held: courseware, their actions and tool use (PUR-12)."""
    _, _, held = await _scope(session, access)
    by_teacher: dict[uuid.UUID, list[Lesson]] = defaultdict(list)
    for lesson in held:
        if lesson.teacher_id is not None:
            by_teacher[lesson.teacher_id].append(lesson)
    totals: dict[uuid.UUID, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for teacher, counts in await repo.teacher_rollups(
        session, access.tenant_id, [x.id for x in held]
    ):
        for kind, n in counts.items():
            totals[teacher][kind] += int(n)
    names = await repository.people(session, access.tenant_id, sorted(by_teacher))
    rows = []
    for teacher, lessons in sorted(by_teacher.items(), key=lambda item: str(item[0])):
        counts = totals[teacher]
        delays = [m for x in lessons if (m := _minutes(x.actual_start, x.starts_at)) is not None]
        rows.append(
            TeacherQualityRow(
                teacher=TeacherOut(
                    id=teacher,
                    display_name=names[teacher].display_name if teacher in names else None,
                ),
                lessons_taught=len(lessons),
                mean_start_delay_minutes=_mean(delays),
                courseware_opened=counts.get("courseware.opened", 0),
                courseware_pages=counts.get("courseware.page", 0),
                teacher_actions={
                    k: v for k, v in sorted(counts.items()) if k.startswith("teacher.")
                },
                tool_use={k: v for k, v in sorted(counts.items()) if k.startswith("tool.")},
            )
        )
    return TeachingQualityReport(items=rows), set(by_teacher)

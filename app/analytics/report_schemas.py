"""School reports: courses, teaching quality, de-identified statistics."""

from __future__ import annotations

import uuid

from pydantic import BaseModel

from app.analytics.schemas import CourseOut, LessonCounts


class TeacherOut(BaseModel):
    id: uuid.UUID
    display_name: str | None


class QualityOfService(BaseModel):
    """From diagnostics samples, summed per lesson: no person's device data (AUZ-7)."""

    lessons_with_samples: int
    mean_latency_ms: float | None
    mean_packet_loss: float | None
    lessons_with_problems_share: float | None  # share of sampled lessons with a problem


class CourseReportRow(BaseModel):
    course: CourseOut
    teachers: list[TeacherOut]
    students: int
    lessons_planned: int
    lessons_held: int
    mean_start_delay_minutes: float | None  # actual start - planned start
    mean_duration_minutes: float | None  # actual end - actual start
    mean_on_stage: float | None  # students on stage per lesson held
    attendance_rate: float | None  # students who came / students enrolled, over lessons held
    quality_of_service: QualityOfService
    counts: LessonCounts  # of the lessons held, kept after a sweep removed per-person rows


class CourseReport(BaseModel):
    items: list[CourseReportRow]
    problem_rule: str


class TeacherQualityRow(BaseModel):
    teacher: TeacherOut
    lessons_taught: int
    mean_start_delay_minutes: float | None
    courseware_opened: int
    courseware_pages: int
    teacher_actions: dict[str, int]  # by kind: teacher.muted, teacher.rewarded, ...
    tool_use: dict[str, int]  # the teacher's own tool use, by kind


class TeachingQualityReport(BaseModel):
    items: list[TeacherQualityRow]


class CountRow(BaseModel):
    """A group's figures; `suppressed` (fewer than k people) leaves only the group's name."""

    group: str
    suppressed: bool
    people: int | None
    count: int | None


class PeriodRow(BaseModel):
    period: str  # a day, ISO week or term, in the school's time zone
    lessons: int


class DeidentifiedReport(BaseModel):
    """Statistics with no personal information: no names, ids or join keys (VIS-5/6,
    PUR-14/15); any group of fewer than `k` people is suppressed."""

    k: int
    period: str
    lessons_held: int
    lessons_by_period: list[PeriodRow]
    attendance_distribution: list[CountRow]  # share of a lesson attended, per student-lesson
    participation_by_tool: list[CountRow]  # uses of each tool and hand raises, by students

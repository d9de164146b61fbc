"""Analytics answers: dashboards, the learning record, the timeline (reports: report_schemas)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.analytics import scoring
from app.analytics.scoring import Status


class PersonOut(BaseModel):
    id: uuid.UUID
    display_name: str | None
    phone_masked: str | None


class ComponentOut(BaseModel):
    name: str
    weight: float
    rule: str


class FormulaOut(BaseModel):
    """How `activity_score` and `status` are worked out, served with every dashboard."""

    activity_score: str = scoring.FORMULA_TEXT
    components: list[ComponentOut] = Field(
        default_factory=lambda: [
            ComponentOut(name=c.name, weight=c.weight, rule=c.rule) for c in scoring.COMPONENTS
        ]
    )
    status: str = scoring.STATUS_TEXT
    late_after_minutes: int
    time_zone: str


class LessonOut(BaseModel):
    id: uuid.UUID
    course_id: uuid.UUID
    title: str
    planned_start: datetime
    actual_start: datetime | None
    actual_end: datetime | None
    minutes: float  # actual length when it has both ends, else the planned length


class Figures(BaseModel):
    """The per-person figures every view shares (sums over lessons in the course view)."""

    minutes: float
    hand_raises: int
    rewards: int
    speaking_seconds: float
    camera_seconds: int
    stage_seconds: int
    answers_correct: int
    answers_total: int
    buzzer_wins: int
    activity_score: float


class LessonRow(Figures):
    user: PersonOut
    status: Status
    first_join: datetime | None
    last_leave: datetime | None
    joins: int
    leave_reasons: list[str]
    removals: int
    score_components: dict[str, float]


class LessonView(BaseModel):
    lesson: LessonOut
    items: list[LessonRow]
    formula: FormulaOut


class LessonCell(BaseModel):
    lesson_id: uuid.UUID
    status: Status
    minutes: float
    activity_score: float


class CourseRow(Figures):
    """`activity_score` here is the mean over the lessons held; `status` one per lesson."""

    user: PersonOut
    status: list[Status]
    lessons: list[LessonCell]
    lessons_held: int
    present: int
    late: int
    absent: int
    attendance_rate: float  # (present + late) / lessons held
    dropped: list[str]  # "attendance" and/or "participation", by `drop_rule`


class LessonCounts(BaseModel):
    """A lesson's (or several lessons') figures without a person: everyone's rollups still
    on record (the teacher's included) plus the tally of those the retention sweep
    anonymised, so they stay when the per-person rows are gone."""

    participants: int = 0  # people with a record in the lesson
    minutes: float = 0.0  # attended, summed
    joins: int = 0
    hand_raises: int = 0
    rewards: int = 0
    speaking_seconds: float = 0.0
    camera_seconds: int = 0
    stage_seconds: int = 0
    answers_correct: int = 0
    answers_total: int = 0

    def __add__(self, other: LessonCounts) -> LessonCounts:
        return LessonCounts(
            **{
                name: round(getattr(self, name) + getattr(other, name), 3)
                for name in LessonCounts.model_fields
            }
        )


class TrendPoint(BaseModel):
    lesson_id: uuid.UUID
    title: str
    planned_start: datetime
    attendance_rate: float
    mean_activity_score: float
    counts: LessonCounts  # the lesson's, kept after a sweep removed its per-person rows


class CourseOut(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    term: str | None


class CourseView(BaseModel):
    course: CourseOut
    lessons: list[LessonOut]
    trend: list[TrendPoint]
    items: list[CourseRow]
    formula: FormulaOut
    drop_rule: str = scoring.DROP_RULE_TEXT


class Interval(BaseModel):
    start: datetime = Field(alias="from", serialization_alias="from")
    end: datetime = Field(alias="to", serialization_alias="to")

    model_config = {"populate_by_name": True}


class PointEvent(BaseModel):
    at: datetime
    kind: str
    by: uuid.UUID  # whose event it is (for a teacher action: the teacher)
    data: dict[str, Any]


class TimelinePerson(BaseModel):
    user: PersonOut
    online: list[Interval]
    stage: list[Interval]
    camera: list[Interval]
    microphone: list[Interval]
    events: list[PointEvent]  # hand raises, rewards, answers, removals, tool use


class Timeline(BaseModel):
    lesson: LessonOut
    start: datetime
    end: datetime
    people: list[TimelinePerson]
    teacher_actions: list[PointEvent]
    truncated: bool  # more events than one timeline draws (TIMELINE_MAX_EVENTS)


# --- the student's learning record ---------------------------------------------------------


class RecordLesson(Figures):
    lesson_id: uuid.UUID
    course_id: uuid.UUID
    title: str
    planned_start: datetime
    local_date: str  # the day in the school's time zone
    week: str  # ISO week in the school's time zone, e.g. 2026-W47
    status: Status
    counts: dict[str, int]  # participation and tool use, by event kind


class TimetableEntry(BaseModel):
    lesson_id: uuid.UUID
    course_id: uuid.UUID
    title: str
    starts_at: datetime
    local_start: str  # in the school's time zone
    duration_minutes: int


class RecordingOut(BaseModel):
    id: uuid.UUID
    lesson_id: uuid.UUID
    duration_seconds: float | None
    created_at: datetime


class AnswerOut(BaseModel):
    lesson_id: uuid.UUID
    at: datetime
    question: str
    choice: str
    correct: bool


class ClassmateSeen(BaseModel):
    """What the whole class saw live of a classmate (VIS-1): no id, phone or score."""

    display_name: str | None
    present: bool
    hand_raises: int
    rewards: int


class LearningRecord(BaseModel):
    school: str
    student: PersonOut
    courses: list[CourseOut]
    timetable: list[TimetableEntry]  # lessons still to come
    lessons: list[RecordLesson]  # lessons held, with the student's own figures
    recordings: list[RecordingOut]  # the ones the student (or guardian) may watch
    answers: list[AnswerOut]
    # Per lesson id: only where the school turned `class_visible` on, else empty.
    classmates: dict[str, list[ClassmateSeen]]
    formula: FormulaOut

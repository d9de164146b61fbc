"""The CSV downloads' columns (documented in docs/analytics.md) and their rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from app.analytics.schemas import CourseRow, LessonRow, RecordLesson

PERSON_COLUMNS = ("user.id", "user.display_name", "user.phone_masked")
FIGURE_COLUMNS = (
    "minutes",
    "hand_raises",
    "rewards",
    "speaking_seconds",
    "camera_seconds",
    "stage_seconds",
    "answers_correct",
    "answers_total",
    "buzzer_wins",
    "activity_score",
)
LESSON_COLUMNS = (
    *PERSON_COLUMNS,
    "status",
    "first_join",
    "last_leave",
    "joins",
    "leave_reasons",
    "removals",
    *FIGURE_COLUMNS,
)
# `status` lists the per-lesson statuses in lesson order, separated by spaces.
COURSE_COLUMNS = (
    *PERSON_COLUMNS,
    "status",
    "lessons_held",
    "present",
    "late",
    "absent",
    "attendance_rate",
    "dropped",
    *FIGURE_COLUMNS,
)


def _person(row: LessonRow | CourseRow) -> dict[str, Any]:
    return {
        "user.id": str(row.user.id),
        "user.display_name": row.user.display_name,
        "user.phone_masked": row.user.phone_masked,
    }


def _figures(row: LessonRow | CourseRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in FIGURE_COLUMNS}


def lesson_rows(rows: list[LessonRow]) -> Iterator[dict[str, Any]]:
    for row in rows:
        yield {
            **_person(row),
            "status": row.status.value,
            "first_join": row.first_join.isoformat() if row.first_join else None,
            "last_leave": row.last_leave.isoformat() if row.last_leave else None,
            "joins": row.joins,
            "leave_reasons": " ".join(row.leave_reasons),
            "removals": row.removals,
            **_figures(row),
        }


def course_rows(rows: list[CourseRow]) -> Iterator[dict[str, Any]]:
    for row in rows:
        yield {
            **_person(row),
            "status": " ".join(s.value for s in row.status),
            "lessons_held": row.lessons_held,
            "present": row.present,
            "late": row.late,
            "absent": row.absent,
            "attendance_rate": row.attendance_rate,
            "dropped": " ".join(row.dropped),
            **_figures(row),
        }


RECORD_COLUMNS = (
    "lesson_id",
    "course_id",
    "title",
    "planned_start",
    "local_date",
    "week",
    "status",
    *FIGURE_COLUMNS,
)


def record_rows(rows: list[RecordLesson]) -> Iterator[dict[str, Any]]:
    for row in rows:
        yield {
            "lesson_id": str(row.lesson_id),
            "course_id": str(row.course_id),
            "title": row.title,
            "planned_start": row.planned_start.isoformat(),
            "local_date": row.local_date,
            "week": row.week,
            "status": row.status.value,
            **{name: getattr(row, name) for name in FIGURE_COLUMNS},
        }

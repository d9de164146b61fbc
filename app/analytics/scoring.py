"""The activity score, attendance status and the "dropped" rule: pure and documented.

Everything here is arithmetic on counts the rollups hold (time online, speaking time,
hand raises, answers, rewards). Nothing is inferred about faces, emotions or attention.
The texts below are served by the API (`formula` in the answers, the OpenAPI description)
and repeated in docs/analytics.md, so a teacher can explain a score to a parent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Status(StrEnum):
    PRESENT = "present"
    LATE = "late"
    ABSENT = "absent"


@dataclass(frozen=True, slots=True)
class Component:
    name: str
    weight: float  # points out of 100
    rule: str


# Each component is a share in [0, 1]; the score is the weighted sum, 0-100, one decimal.
COMPONENTS: tuple[Component, ...] = (
    Component("attendance", 40, "minutes online / lesson minutes (at most 1)"),
    Component("hand_raises", 15, "hand raises / 3 (at most 1)"),
    Component("speaking", 15, "seconds spoken / 60 (at most 1)"),
    Component("camera", 10, "camera-on seconds / seconds online (at most 1)"),
    Component("answers", 10, "answers correct / answers given (0 when none given)"),
    Component("rewards", 10, "rewards / 2 (at most 1)"),
)
HAND_RAISES_FULL = 3
SPEAKING_SECONDS_FULL = 60
REWARDS_FULL = 2

FORMULA = "activity_score = " + " + ".join(f"{c.weight:g} × {c.name}" for c in COMPONENTS)
FORMULA_TEXT = (
    f"{FORMULA}, where "
    + "; ".join(f"{c.name} = {c.rule}" for c in COMPONENTS)
    + ". A score is 0-100; an absent student scores 0."
)

# A course's students whose attendance or participation fell (the course view's `dropped`).
RECENT_LESSONS = 3
ATTENDANCE_DROP = 0.25
SCORE_DROP = 20.0
DROP_RULE_TEXT = (
    f"With at least {RECENT_LESSONS + 1} lessons held, a student is flagged when, over the "
    f"last {RECENT_LESSONS} lessons compared with the lessons before them, the attendance rate "
    f"fell by {ATTENDANCE_DROP:.0%} or more (absolute), or the mean activity score fell by "
    f"{SCORE_DROP:g} points or more."
)
STATUS_TEXT = (
    "present: first join at most the school's late threshold (tenant file "
    "`late_after_minutes`, default 5) after the lesson's actual start (the planned start "
    "when it has not started); late: first join later than that; absent: never joined."
)


@dataclass(frozen=True, slots=True)
class Participation:
    """What one person did in one lesson, as the rollup has it."""

    attended_seconds: int
    lesson_seconds: int
    hand_raises: int
    speaking_seconds: float
    camera_seconds: int
    answers_correct: int
    answers_total: int
    rewards: int


def _share(value: float, full: float) -> float:
    return 0.0 if full <= 0 else max(0.0, min(value / full, 1.0))


def components(p: Participation) -> dict[str, float]:
    """Each component's share in [0, 1], by the name `COMPONENTS` gives it."""
    return {
        "attendance": _share(p.attended_seconds, p.lesson_seconds),
        "hand_raises": _share(p.hand_raises, HAND_RAISES_FULL),
        "speaking": _share(p.speaking_seconds, SPEAKING_SECONDS_FULL),
        "camera": _share(p.camera_seconds, p.attended_seconds),
        "answers": _share(p.answers_correct, p.answers_total),
        "rewards": _share(p.rewards, REWARDS_FULL),
    }


WEIGHTS = {c.name: c.weight for c in COMPONENTS}
_W = tuple(WEIGHTS[n] for n in ("attendance", "hand_raises", "speaking", "camera", "answers"))
_W_REWARDS = WEIGHTS["rewards"]


def activity_score(p: Participation) -> float:
    """`FORMULA_TEXT`, as `components` spells it out, in one pass (800 per course view)."""
    attended = p.attended_seconds
    total = (
        _W[0] * (min(attended / p.lesson_seconds, 1.0) if p.lesson_seconds > 0 else 0.0)
        + _W[1] * min(p.hand_raises / HAND_RAISES_FULL, 1.0)
        + _W[2] * min(p.speaking_seconds / SPEAKING_SECONDS_FULL, 1.0)
        + _W[3] * (min(p.camera_seconds / attended, 1.0) if attended > 0 else 0.0)
        + _W[4] * (min(p.answers_correct / p.answers_total, 1.0) if p.answers_total > 0 else 0.0)
        + _W_REWARDS * min(p.rewards / REWARDS_FULL, 1.0)
    )
    return round(max(total, 0.0), 1)


def status(first_join: datetime | None, start: datetime, late_after_minutes: int) -> Status:
    if first_join is None:
        return Status.ABSENT
    if first_join > start + timedelta(minutes=late_after_minutes):
        return Status.LATE
    return Status.PRESENT


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def dropped(statuses: list[Status], scores: list[float]) -> list[str]:
    """The reasons `DROP_RULE_TEXT` flags a student for, lessons in time order; [] if none."""
    if len(statuses) <= RECENT_LESSONS:
        return []
    attended = [0.0 if s is Status.ABSENT else 1.0 for s in statuses]
    cut = len(statuses) - RECENT_LESSONS
    reasons = []
    if _mean(attended[:cut]) - _mean(attended[cut:]) >= ATTENDANCE_DROP:
        reasons.append("attendance")
    if _mean(scores[:cut]) - _mean(scores[cut:]) >= SCORE_DROP:
        reasons.append("participation")
    return reasons

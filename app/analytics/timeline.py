"""A lesson's timeline: per person the intervals online, on stage, on camera and microphone,
and the point events, ready to draw. The one analytics read of raw events (one lesson)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics import repository
from app.analytics.schemas import Interval, PointEvent, Timeline, TimelinePerson
from app.analytics.service import lesson_out, lesson_start, person_out
from app.authz.access import Access
from app.classroom.models import ClassroomEvent
from app.classroom.records import repository as records
from app.classroom.visibility import visible_lesson

# A lesson draws at most this many events; more sets `truncated` (the portal pages events).
TIMELINE_MAX_EVENTS = 50_000

# kind -> (interval family, opens it?)
INTERVAL_KINDS: dict[str, tuple[str, bool]] = {
    "attendance.joined": ("online", True),
    "attendance.left": ("online", False),
    "behaviour.stage_up": ("stage", True),
    "behaviour.stage_down": ("stage", False),
    "behaviour.camera_on": ("camera", True),
    "behaviour.camera_off": ("camera", False),
    "behaviour.mic_on": ("microphone", True),
    "behaviour.mic_off": ("microphone", False),
}
FAMILIES = ("online", "stage", "camera", "microphone")
# Lesson-wide events are the lesson's start and end, not anyone's point events.
LESSON_WIDE = ("lesson.", "recording.")
TEACHER_ACTION = "teacher."


@dataclass
class PersonLine:
    intervals: dict[str, list[Interval]] = field(
        default_factory=lambda: {family: [] for family in FAMILIES}
    )
    open_since: dict[str, datetime | None] = field(default_factory=lambda: dict.fromkeys(FAMILIES))
    events: list[PointEvent] = field(default_factory=list)

    def close(self, family: str, at: datetime) -> None:
        since = self.open_since[family]
        if since is not None:
            self.intervals[family].append(Interval(start=since, end=max(at, since)))
            self.open_since[family] = None

    def step(self, kind: str, at: datetime) -> None:
        family, opens = INTERVAL_KINDS[kind]
        if opens:
            if self.open_since[family] is None:
                self.open_since[family] = at
            return
        # Leaving the lesson ends being on stage, on camera and on the microphone too.
        for closed in FAMILIES if family == "online" else (family,):
            self.close(closed, at)


@dataclass
class Lines:
    people: dict[uuid.UUID, PersonLine]
    teacher_actions: list[PointEvent]


def walk(events: Sequence[ClassroomEvent], end: datetime) -> Lines:
    """Events in time order -> each person's line; what is still open closes at `end`."""
    people: dict[uuid.UUID, PersonLine] = {}
    teacher: list[PointEvent] = []
    for event in events:
        if event.kind.startswith(LESSON_WIDE):
            continue
        point = PointEvent(at=event.at, kind=event.kind, by=event.account_id, data=event.data)
        if event.kind.startswith(TEACHER_ACTION):
            teacher.append(point)
            continue
        line = people.setdefault(event.account_id, PersonLine())
        if event.kind in INTERVAL_KINDS:
            line.step(event.kind, event.at)
        else:
            line.events.append(point)
    for line in people.values():
        for family in FAMILIES:
            line.close(family, end)
    return Lines(people=people, teacher_actions=teacher)


def lesson_end(start: datetime, actual_end: datetime | None, duration_minutes: int) -> datetime:
    return actual_end or start + timedelta(minutes=duration_minutes)


async def lesson_timeline(
    session: AsyncSession, accesses: Sequence[Access], lesson_id: str
) -> tuple[Timeline, list[ClassroomEvent]]:
    """The timeline and the events it drew (each record kind within its own access)."""
    tenant_id = accesses[0].tenant_id
    lesson = await visible_lesson(session, tenant_id, lesson_id, accesses)
    events = list(
        await records.list_events(
            session, tenant_id, lesson.id, accesses, records.EventFilter(),
            after=None, fetch=TIMELINE_MAX_EVENTS + 1,
        )
    )  # fmt: skip
    truncated = len(events) > TIMELINE_MAX_EVENTS
    events = events[:TIMELINE_MAX_EVENTS]
    start = lesson_start(lesson)
    end = lesson_end(start, lesson.actual_end, lesson.duration_minutes)
    lines = walk(events, end)
    names = await repository.people(session, tenant_id, list(lines.people))
    people = [
        TimelinePerson(
            user=person_out(names[account_id]),
            online=line.intervals["online"],
            stage=line.intervals["stage"],
            camera=line.intervals["camera"],
            microphone=line.intervals["microphone"],
            events=line.events,
        )
        for account_id, line in lines.people.items()
        if account_id in names
    ]
    people.sort(key=lambda p: (p.user.display_name or "", str(p.user.id)))
    timeline = Timeline(
        lesson=lesson_out(lesson),
        start=start,
        end=end,
        people=people,
        teacher_actions=lines.teacher_actions,
        truncated=truncated,
    )
    return timeline, events

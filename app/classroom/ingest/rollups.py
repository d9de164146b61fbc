"""Attendance spans and per-lesson, per-person rollups, recomputed from the events.

A batch names the (lesson, person) pairs it touched; each is recomputed whole from its
events with two queries per batch (aggregates by kind, and the interval events in time
order), so out-of-order and retried events always give the same answer.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from app.classroom.ingest import rollup_repository as repository
from app.classroom.ingest.repository import LessonFacts, event_columns
from app.classroom.kinds import KINDS
from app.core import clock
from app.core.ids import new_id
from app.core.vocabulary import RecordKind

# kind -> (interval family, opens it?)
INTERVALS: dict[str, tuple[str, bool]] = {
    "attendance.joined": ("attendance", True),
    "attendance.left": ("attendance", False),
    "behaviour.camera_on": ("camera", True),
    "behaviour.camera_off": ("camera", False),
    "behaviour.stage_up": ("stage", True),
    "behaviour.stage_down": ("stage", False),
}
FAMILIES = ("attendance", "camera", "stage")
# Leaving the lesson also ends being on camera and on stage.
CLOSED_BY = {"attendance": FAMILIES, "camera": ("camera",), "stage": ("stage",)}
COUNTED = frozenset(
    name
    for name, spec in KINDS.items()
    if spec.record_kind in (RecordKind.BEHAVIOUR, RecordKind.TOOL_USE)
)


@dataclass
class Touched:
    """What a batch wrote: whole lessons (their end moved) and (lesson, person) pairs."""

    whole_lessons: set[uuid.UUID] = field(default_factory=set)
    pairs: dict[uuid.UUID, set[uuid.UUID]] = field(default_factory=lambda: defaultdict(set))

    def add(self, lesson_id: uuid.UUID, account_id: uuid.UUID) -> None:
        self.pairs[lesson_id].add(account_id)

    @property
    def lesson_ids(self) -> set[uuid.UUID]:
        return self.whole_lessons | set(self.pairs)


@dataclass
class _Walk:
    """One person's intervals in one lesson, resumable from its saved state.

    The state (open intervals, seconds of the closed ones, time of the last interval event)
    is kept with the rollup, so events arriving in order only continue the walk; an event
    at or before the saved time makes the pair be walked again from all its events.
    """

    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(FAMILIES, 0.0))
    open_since: dict[str, datetime | None] = field(
        default_factory=lambda: dict.fromkeys(FAMILIES, None)
    )
    last_at: datetime | None = None
    spans: list[tuple[datetime, datetime, str | None, bool]] = field(default_factory=list)

    @classmethod
    def resume(cls, state: dict[str, Any] | None) -> _Walk:
        walk = cls()
        if state:
            walk.last_at = datetime.fromisoformat(state["at"])
            walk.seconds = {f: float(state["seconds"].get(f, 0.0)) for f in FAMILIES}
            walk.open_since = {
                f: datetime.fromisoformat(v) if (v := state["open"].get(f)) else None
                for f in FAMILIES
            }
        return walk

    def state(self) -> dict[str, Any] | None:
        if self.last_at is None:
            return None
        return {
            "at": self.last_at.isoformat(),
            "seconds": self.seconds,
            "open": {f: v.isoformat() if v else None for f, v in self.open_since.items()},
        }

    def close(self, family: str, at: datetime, reason: str | None) -> None:
        since = self.open_since[family]
        if since is None:
            return
        until = max(at, since)
        self.seconds[family] += (until - since).total_seconds()
        self.open_since[family] = None
        if family == "attendance":
            self.spans.append((since, until, reason, False))

    def step(self, kind: str, at: datetime, reason: str | None) -> None:
        self.last_at = at if self.last_at is None else max(self.last_at, at)
        family, opens = INTERVALS[kind]
        if opens:
            if self.open_since[family] is None:
                self.open_since[family] = at
            return
        for closed in CLOSED_BY[family]:
            self.close(closed, at, reason if closed == "attendance" else None)

    def totals(self, lesson_end: datetime) -> tuple[dict[str, float], list[Any]]:
        """Seconds per family and the open span, with what is still open closed at the end."""
        seconds = dict(self.seconds)
        open_spans = []
        for family, since in self.open_since.items():
            if since is None:
                continue
            until = max(lesson_end, since)
            seconds[family] += (until - since).total_seconds()
            if family == "attendance":
                open_spans.append((since, until, None, True))
        return seconds, open_spans


def _empty_rollup(tenant_id: uuid.UUID, lesson_id: Any, account_id: Any) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "lesson_id": lesson_id,
        "account_id": account_id,
        "attended_seconds": 0,
        "joins": 0,
        "first_join": None,
        "last_leave": None,
        "hand_raises": 0,
        "rewards": 0,
        "speaking_ms": 0,
        "camera_seconds": 0,
        "stage_seconds": 0,
        "answers_correct": 0,
        "answers_total": 0,
        "counts": {},
        "walk": None,
    }


def _earliest(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b < a else a


def _latest(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b > a else a


def _add(rollup: dict[str, Any], event: dict[str, Any]) -> None:
    """Counts and sums are additive: each stored event is added exactly once."""
    kind, at, data = event["kind"], event["at"], event["data"]
    if kind in COUNTED:
        rollup["counts"][kind] = rollup["counts"].get(kind, 0) + 1
    if kind == "attendance.joined":
        rollup["joins"] += 1
        rollup["first_join"] = _earliest(rollup["first_join"], at)
    elif kind == "attendance.left":
        rollup["last_leave"] = _latest(rollup["last_leave"], at)
    elif kind == "behaviour.hand_raised":
        rollup["hand_raises"] += 1
    elif kind == "behaviour.rewarded":
        rollup["rewards"] += int(data.get("count", 0))
    elif kind == "behaviour.spoke":
        rollup["speaking_ms"] += int(data.get("duration_ms", 0))
    elif kind == "tool.answerer":
        rollup["answers_total"] += 1
        rollup["answers_correct"] += 1 if data.get("correct") else 0


Pair = tuple[uuid.UUID, uuid.UUID]  # (lesson, person)


async def refresh(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    lessons: dict[uuid.UUID, LessonFacts],
    touched: Touched,
    stored: list[dict[str, Any]],
) -> int:
    """Bring spans and rollups up to date with the events just stored (`stored`).

    The caller holds the lessons' row locks, so no other batch changes these rollups
    meanwhile. Counts and sums add the new events; interval walks continue from their saved
    state (or start again from all the pair's events when an event arrived out of order);
    lessons whose end moved close every open interval at the new end.
    """
    whole = sorted(touched.whole_lessons)
    rollup_columns = SQLModel.metadata.tables["lesson_rollup"].c
    existing = await repository.rollups_of(
        session, tenant_id, repository.touched_predicate(whole, touched.pairs, rollup_columns)
    )
    rollups, new_intervals = _add_events(tenant_id, existing, stored)
    walks, rewalk = _continue_walks(rollups, new_intervals)
    if rewalk.pairs:
        await _walk_again(session, tenant_id, rewalk, walks)
    for key, rollup in rollups.items():
        if key[0] in touched.whole_lessons and key not in walks and rollup["walk"]:
            walks[key] = _Walk.resume(rollup["walk"])
    spans = _close_walks(tenant_id, lessons, rollups, walks)
    await _drop_spans(session, tenant_id, whole, walks, rewalk)
    await repository.insert_spans(session, spans)
    now = clock.now()
    for rollup in rollups.values():
        rollup["updated_at"] = now
    await repository.upsert_rollups(session, list(rollups.values()))
    return len(rollups)


def _add_events(
    tenant_id: uuid.UUID, existing: list[dict[str, Any]], stored: list[dict[str, Any]]
) -> tuple[dict[Pair, dict[str, Any]], dict[Pair, list[dict[str, Any]]]]:
    """(rollups with the new events' counts added, each pair's new interval events)."""
    rollups = {(r["lesson_id"], r["account_id"]): r for r in existing}
    new_intervals: dict[Pair, list[dict[str, Any]]] = defaultdict(list)
    for event in stored:
        key = (event["lesson_id"], event["account_id"])
        rollup = rollups.get(key)
        if rollup is None:
            rollup = rollups[key] = _empty_rollup(tenant_id, *key)
        _add(rollup, event)
        if event["kind"] in INTERVALS:
            new_intervals[key].append(event)
    return rollups, new_intervals


def _continue_walks(
    rollups: dict[Pair, dict[str, Any]], new_intervals: dict[Pair, list[dict[str, Any]]]
) -> tuple[dict[Pair, _Walk], Touched]:
    """Walks continued with in-order events, and the pairs that must be walked again."""
    walks: dict[Pair, _Walk] = {}
    rewalk = Touched()
    for key, events in new_intervals.items():
        walk = _Walk.resume(rollups[key]["walk"])
        events.sort(key=lambda e: (e["at"], e["id"]))
        if walk.last_at is not None and events[0]["at"] <= walk.last_at:
            rewalk.add(*key)
            continue
        for e in events:
            walk.step(e["kind"], e["at"], e["data"].get("reason"))
        walks[key] = walk
    return walks, rewalk


async def _walk_again(
    session: AsyncSession, tenant_id: uuid.UUID, rewalk: Touched, walks: dict[Pair, _Walk]
) -> None:
    """Fresh walks over all the interval events of the pairs an out-of-order event touched."""
    scope = repository.touched_predicate([], rewalk.pairs, event_columns())
    rows = await repository.interval_events(session, tenant_id, scope, list(INTERVALS))
    for lesson_id, account_id, kind, at, reason in rows:
        fresh = walks.get((lesson_id, account_id))
        if fresh is None:
            fresh = walks[(lesson_id, account_id)] = _Walk()
        fresh.step(kind, at, reason)


def _close_walks(
    tenant_id: uuid.UUID,
    lessons: dict[uuid.UUID, LessonFacts],
    rollups: dict[Pair, dict[str, Any]],
    walks: dict[Pair, _Walk],
) -> list[dict[str, Any]]:
    """Each walk's seconds into its rollup; the spans to write (closed, and open ones closed
    at the lesson's end)."""
    spans: list[dict[str, Any]] = []
    for key, walk in walks.items():
        seconds, still_open = walk.totals(lessons[key[0]].end)
        rollup = rollups[key]
        rollup["attended_seconds"] = round(seconds["attendance"])
        rollup["camera_seconds"] = round(seconds["camera"])
        rollup["stage_seconds"] = round(seconds["stage"])
        rollup["walk"] = walk.state()
        spans.extend(
            {
                "tenant_id": tenant_id,
                "id": new_id(),
                "lesson_id": key[0],
                "account_id": key[1],
                "joined_at": joined,
                "left_at": left,
                "leave_reason": reason,
                "closed_at_lesson_end": at_end,
            }
            for joined, left, reason, at_end in [*walk.spans, *still_open]
        )
    return spans


async def _drop_spans(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    whole: list[uuid.UUID],
    walks: dict[Pair, _Walk],
    rewalk: Touched,
) -> None:
    """Delete the spans the walks make again before they are inserted."""
    span_columns = SQLModel.metadata.tables["attendance_span"].c
    if rewalk.pairs:  # walked from the start: every span of the pair is made again
        scope = repository.touched_predicate([], rewalk.pairs, span_columns)
        await repository.delete_spans(session, tenant_id, scope)
    continued = Touched()
    for key in walks:
        if key not in rewalk.pairs.get(key[0], ()):
            continued.add(*key)
    if whole or continued.pairs:  # continued walks: only the open span is made again
        scope = repository.touched_predicate(whole, continued.pairs, span_columns)
        await repository.delete_spans(
            session, tenant_id, and_(scope, span_columns.closed_at_lesson_end.is_(True))
        )

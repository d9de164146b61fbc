"""Event batches: validate all or reject all, resolve against the roster, store once, roll up.

No HTTP here and no commit: the request's transaction makes the batch all-or-nothing.
Phases: validate (`events.validate_batch`), resolve lessons and people (`_resolve`), check
the roster (`_check_roster`), write the rows (`_rows`, `insert_events`), derive (`_derive`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.repository import account_ids_by_phone_hashes
from app.accounts.service import phone_hash
from app.authz import audit
from app.classroom.ingest import repository, rollups
from app.classroom.ingest.body import BatchBodyError, parse_batch_body
from app.classroom.ingest.events import EventError, ValidEvent, validate_batch
from app.classroom.ingest.repository import LessonFacts
from app.core import clock
from app.core.errors import DomainError, InvalidMany, PayloadTooLarge
from app.core.ids import new_id, parse_id
from app.core.phones import InvalidPhone, normalize
from app.core.security import Keys
from app.core.vocabulary import Action

MAX_LISTED_ERRORS = 1000
# How far from its lesson's schedule an event may be dated (late uploads, long overruns).
EVENT_WINDOW = timedelta(days=1)
# The audit log names what an ingestion client wrote; events have no record kind of their own.
AUDIT_RECORD_KIND = "classroom_event"
TARGETED_KINDS = frozenset(
    {"teacher.muted", "teacher.rewarded", "teacher.hand_handled", "teacher.authorized"}
)


class UnsupportedMediaType(DomainError):
    status, type, title = 415, "unsupported-media-type", "Unsupported media type"


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int
    dropped: int
    subjects: frozenset[uuid.UUID] = frozenset()  # whose events were stored


@dataclass(frozen=True, slots=True)
class _Resolved:
    """A valid event with its lesson, its participant and (teacher actions) its target."""

    event: ValidEvent
    lesson: LessonFacts
    account: uuid.UUID
    target: uuid.UUID | None


def parse_body(
    body: bytes, content_type: str, content_encoding: str | None, *, max_bytes: int
) -> list[Any]:
    """The raw events of a request body, or the problem that names what is wrong with it.

    `max_bytes` bounds the body as it is decompressed, not only as it arrived.
    """
    try:
        return parse_batch_body(body, content_type, content_encoding, max_bytes=max_bytes)
    except BatchBodyError as exc:
        if exc.status_code == 413:
            raise PayloadTooLarge(exc.reason, field=exc.field) from None
        if exc.status_code == 415:
            raise UnsupportedMediaType(exc.reason, field=exc.field) from None
        raise InvalidMany([{"field": exc.field, "message": exc.reason}]) from None


def _reject(errors: list[EventError]) -> InvalidMany:
    listed = [
        {"index": e.index, "field": e.field, "reason": e.reason, "message": e.reason}
        for e in errors[:MAX_LISTED_ERRORS]
    ]
    return InvalidMany(
        listed,
        detail=f"{len(errors)} problem(s) in the batch; nothing was stored",
        error_count=len(errors),
    )


async def accept_batch(
    session: AsyncSession,
    keys: Keys,
    tenant_id: uuid.UUID,
    key_id: uuid.UUID,
    raw: list[Any],
    *,
    region: str,
    request_id: str | None,
) -> IngestResult:
    """A batch sent by an API key: ingested, and audited when anything was stored."""
    result = await ingest(session, keys, tenant_id, raw, region=region)
    if result.accepted:
        await audit.record_for_api_key(
            session,
            tenant_id,
            key_id,
            record_kind=AUDIT_RECORD_KIND,
            action=Action.CREATE,
            subjects=result.subjects,
            request_id=request_id,
            detail={"accepted": result.accepted},
        )
    return result


async def ingest(
    session: AsyncSession,
    keys: Keys,
    tenant_id: uuid.UUID,
    raw: list[Any],
    *,
    region: str = "CN",
) -> IngestResult:
    valid, errors = validate_batch(raw, ip_hash_key=keys.ip_hash)
    if errors:
        raise _reject(errors)
    resolved = await _resolve(session, keys, tenant_id, valid, region)
    await _check_roster(session, tenant_id, resolved)
    rows, dropped, repeated = await _rows(session, tenant_id, resolved)
    stored = await repository.insert_events(session, rows)
    new_rows = [r for r in rows if r["client_id"] in stored] if stored else []
    if new_rows:
        await _derive(session, tenant_id, new_rows)
    return IngestResult(
        accepted=len(stored),
        duplicates=len(rows) - len(stored) + repeated,
        dropped=dropped,
        subjects=frozenset(r["account_id"] for r in new_rows),
    )


class _Resolver:
    """Lessons and people of a batch, each looked up once per batch."""

    def __init__(self, keys: Keys, region: str) -> None:
        self.keys = keys
        self.region = region
        self.phone_hashes: dict[str, str | None] = {}  # as sent -> keyed hash (None: invalid)
        self.lesson_ids: dict[str, uuid.UUID | None] = {}  # as sent -> parsed
        self.user_ids: dict[str, uuid.UUID | None] = {}  # as sent -> parsed
        self.lessons: dict[uuid.UUID, LessonFacts] = {}
        self.by_phone: dict[str, uuid.UUID] = {}

    def phone_hash(self, phone: str) -> str | None:
        if phone not in self.phone_hashes:
            try:
                self.phone_hashes[phone] = phone_hash(self.keys, normalize(phone, self.region))
            except InvalidPhone:
                self.phone_hashes[phone] = None
        return self.phone_hashes[phone]

    async def load(
        self, session: AsyncSession, tenant_id: uuid.UUID, valid: list[ValidEvent]
    ) -> None:
        """Every lesson and phone number of the batch, in one query each."""
        for event in valid:
            if event.lesson_id not in self.lesson_ids:
                self.lesson_ids[event.lesson_id] = parse_id(event.lesson_id)
            if event.phone is not None:
                self.phone_hash(event.phone)
        self.lessons = await repository.lessons(
            session, tenant_id, (i for i in self.lesson_ids.values() if i), lock=False
        )
        self.by_phone = await account_ids_by_phone_hashes(
            session, (h for h in self.phone_hashes.values() if h)
        )

    def resolve(self, event: ValidEvent, errors: list[EventError]) -> _Resolved | None:
        """The event's lesson, participant and target, or None after naming what is wrong."""
        lesson_uuid = self.lesson_ids[event.lesson_id]
        lesson = self.lessons.get(lesson_uuid) if lesson_uuid else None
        if lesson is None:
            errors.append(EventError(event.index, "lesson", "Unknown lesson"))
            return None
        outside = _outside_window(event, lesson)
        if outside is not None:
            errors.append(EventError(event.index, "at", outside))
            return None
        account = self._participant(event, errors)
        if account is None:
            return None
        target_raw = event.data.get("target") if event.kind in TARGETED_KINDS else None
        target = parse_id(target_raw) if target_raw is not None else None
        if target_raw is not None and target is None:
            errors.append(EventError(event.index, "target", "Not an account id"))
            return None
        return _Resolved(event, lesson, account, target)

    def _participant(self, event: ValidEvent, errors: list[EventError]) -> uuid.UUID | None:
        if event.phone is not None:
            digest = self.phone_hash(event.phone)
            if digest is None:
                errors.append(EventError(event.index, "phone", "Not a valid phone number"))
                return None
            found = self.by_phone.get(digest)
            if found is None:
                errors.append(EventError(event.index, "phone", "Not on this lesson's roster"))
            return found
        sent = event.user_id or ""
        if sent not in self.user_ids:
            self.user_ids[sent] = parse_id(sent)
        account = self.user_ids[sent]
        if account is None:
            errors.append(EventError(event.index, "user", "Not an account id"))
        return account


def _outside_window(event: ValidEvent, lesson: LessonFacts) -> str | None:
    """Why the event cannot belong to its lesson's time, or None when it can."""
    planned_end = lesson.starts_at + timedelta(minutes=lesson.duration_minutes)
    if not lesson.starts_at - EVENT_WINDOW <= event.at <= planned_end + EVENT_WINDOW:
        return (
            "Outside this lesson's window: events must be at most a day before its "
            "scheduled start or a day after its scheduled end"
        )
    started = lesson.actual_start
    if event.kind == "lesson.ended" and started is not None and event.at < started:
        return "lesson.ended before the lesson started"
    return None


async def _resolve(
    session: AsyncSession, keys: Keys, tenant_id: uuid.UUID, valid: list[ValidEvent], region: str
) -> list[_Resolved]:
    """Every event's lesson and people, or 422 naming each event that names an unknown one."""
    resolver = _Resolver(keys, region)
    await resolver.load(session, tenant_id, valid)
    errors: list[EventError] = []
    resolved = [r for event in valid if (r := resolver.resolve(event, errors)) is not None]
    if errors:
        raise _reject(errors)
    return resolved


async def _check_roster(
    session: AsyncSession, tenant_id: uuid.UUID, resolved: list[_Resolved]
) -> None:
    """Participants and targets must be the lesson's teacher or enrolled in its course."""
    enrolled = await repository.roster(
        session,
        tenant_id,
        (r.lesson.course_id for r in resolved),
        {a for r in resolved for a in (r.account, r.target) if a is not None},
    )

    def on_roster(lesson: LessonFacts, account: uuid.UUID) -> bool:
        return account == lesson.teacher_id or (lesson.course_id, account) in enrolled

    errors: list[EventError] = []
    for r in resolved:
        if not on_roster(r.lesson, r.account):
            field = "phone" if r.event.phone is not None else "user"
            errors.append(EventError(r.event.index, field, "Not on this lesson's roster"))
        elif r.target is not None and not on_roster(r.lesson, r.target):
            errors.append(EventError(r.event.index, "target", "Not on this lesson's roster"))
    if errors:
        errors.sort(key=lambda e: e.index)
        raise _reject(errors)


async def _rows(
    session: AsyncSession, tenant_id: uuid.UUID, resolved: list[_Resolved]
) -> tuple[list[dict[str, Any]], int, int]:
    """(rows to insert, events dropped for withdrawn consent, ids repeated in the batch)."""
    withdrawn = await repository.withdrawn_categories(
        session, tenant_id, (r.account for r in resolved)
    )
    received_at = clock.now()
    rows: list[dict[str, Any]] = []
    dropped = repeated = 0
    seen: set[str] = set()
    for r in resolved:
        event, category = r.event, r.event.consent_category
        if category is not None and (r.account, category.value) in withdrawn:
            dropped += 1
            continue
        if event.client_id in seen:  # the same id twice in one batch: a duplicate
            repeated += 1
            continue
        seen.add(event.client_id)
        rows.append(
            {
                "tenant_id": tenant_id,
                "id": new_id(),
                "client_id": event.client_id,
                "lesson_id": r.lesson.id,
                "account_id": r.account,
                "at": event.at,
                "kind": event.kind,
                "record_kind": event.record_kind.value,
                "data": event.data,
                "ip_prefix": event.ip_prefix,
                "ip_hash": event.ip_hash,
                "received_at": received_at,
            }
        )
    return rows, dropped, repeated


async def _derive(session: AsyncSession, tenant_id: uuid.UUID, rows: list[dict[str, Any]]) -> None:
    """Lesson times from lifecycle events, then the spans and rollups the new rows touch."""
    touched = rollups.Touched()
    started: dict[uuid.UUID, datetime] = {}
    ended: dict[uuid.UUID, datetime] = {}
    for row in rows:
        lesson_id, kind, at = row["lesson_id"], row["kind"], row["at"]
        touched.add(lesson_id, row["account_id"])
        if kind == "lesson.started":
            started[lesson_id] = min(at, started.get(lesson_id, at))
        elif kind == "lesson.ended":
            ended[lesson_id] = max(at, ended.get(lesson_id, at))
    # The lesson's end may move: every open span of it is closed at the new end.
    touched.whole_lessons.update(started.keys() | ended.keys())
    lessons = await repository.lessons(session, tenant_id, touched.lesson_ids, lock=True)
    if started or ended:
        for lesson_id in sorted(started.keys() | ended.keys()):
            await repository.mark_lifecycle(
                session, tenant_id, lesson_id, started.get(lesson_id), ended.get(lesson_id)
            )
        lessons = await repository.lessons(session, tenant_id, touched.lesson_ids, lock=False)
    await rollups.refresh(session, tenant_id, lessons, touched, rows)

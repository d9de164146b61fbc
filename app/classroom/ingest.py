"""Event batches: validate all or reject all, resolve against the roster, store once, roll up.

No HTTP here and no commit: the request's transaction makes the batch all-or-nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.repository import account_ids_by_phone_hashes
from app.accounts.service import phone_hash
from app.classroom import repository, rollups
from app.classroom.events import (
    BatchBodyError,
    EventError,
    ValidEvent,
    parse_batch_body,
    validate_batch,
)
from app.classroom.repository import LessonFacts
from app.core import clock
from app.core.errors import DomainError, InvalidMany, PayloadTooLarge
from app.core.ids import new_id, parse_id
from app.core.phones import InvalidPhone, normalize
from app.core.security import Keys

MAX_LISTED_ERRORS = 1000
_UNSEEN: Any = object()
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


def parse_body(body: bytes, content_type: str, content_encoding: str | None) -> list[Any]:
    """The raw events of a request body, or the problem that names what is wrong with it."""
    try:
        return parse_batch_body(body, content_type, content_encoding)
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


class _Resolver:
    """Lessons and people of a batch, each looked up once per batch."""

    def __init__(self, keys: Keys, region: str) -> None:
        self.keys = keys
        self.region = region
        self.phone_hashes: dict[str, str | None] = {}  # as sent -> keyed hash (None: invalid)

    def phone_hash(self, phone: str) -> str | None:
        if phone not in self.phone_hashes:
            try:
                self.phone_hashes[phone] = phone_hash(self.keys, normalize(phone, self.region))
            except InvalidPhone:
                self.phone_hashes[phone] = None
        return self.phone_hashes[phone]


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

    resolver = _Resolver(keys, region)
    lesson_ids: dict[str, uuid.UUID | None] = {}
    for event in valid:
        if event.lesson_id not in lesson_ids:
            lesson_ids[event.lesson_id] = parse_id(event.lesson_id)
        if event.phone is not None:
            resolver.phone_hash(event.phone)
    known = await repository.lessons(
        session, tenant_id, (i for i in lesson_ids.values() if i), lock=False
    )
    by_phone = await account_ids_by_phone_hashes(
        session, (h for h in resolver.phone_hashes.values() if h)
    )

    people: list[tuple[ValidEvent, LessonFacts, uuid.UUID | None, uuid.UUID | None]] = []
    user_ids: dict[str, Any] = {}  # as sent -> parsed, once per batch
    for event in valid:
        lesson_uuid = lesson_ids[event.lesson_id]
        lesson = known.get(lesson_uuid) if lesson_uuid else None
        if lesson is None:
            errors.append(EventError(event.index, "lesson", "Unknown lesson"))
            continue
        if event.phone is not None:
            digest = resolver.phone_hash(event.phone)
            if digest is None:
                errors.append(EventError(event.index, "phone", "Not a valid phone number"))
                continue
            account = by_phone.get(digest)
            if account is None:
                errors.append(EventError(event.index, "phone", "Not on this lesson's roster"))
                continue
        else:
            account = user_ids.get(event.user_id or "", _UNSEEN)
            if account is _UNSEEN:
                account = user_ids[event.user_id or ""] = parse_id(event.user_id or "")
            if account is None:
                errors.append(EventError(event.index, "user", "Not an account id"))
                continue
        target_raw = event.data.get("target") if event.kind in TARGETED_KINDS else None
        target = parse_id(target_raw) if target_raw is not None else None
        if target_raw is not None and target is None:
            errors.append(EventError(event.index, "target", "Not an account id"))
            continue
        people.append((event, lesson, account, target))
    if errors:
        raise _reject(errors)

    enrolled = await repository.roster(
        session,
        tenant_id,
        (lesson.course_id for _, lesson, _, _ in people),
        {a for _, _, account, target in people for a in (account, target) if a is not None},
    )

    def on_roster(lesson: LessonFacts, account: uuid.UUID) -> bool:
        return account == lesson.teacher_id or (lesson.course_id, account) in enrolled

    for event, lesson, account, target in people:
        assert account is not None
        if not on_roster(lesson, account):
            field = "phone" if event.phone is not None else "user"
            errors.append(EventError(event.index, field, "Not on this lesson's roster"))
        elif target is not None and not on_roster(lesson, target):
            errors.append(EventError(event.index, "target", "Not on this lesson's roster"))
    if errors:
        errors.sort(key=lambda e: e.index)
        raise _reject(errors)

    withdrawn = await repository.withdrawn_categories(
        session, tenant_id, (account for _, _, account, _ in people if account)
    )
    received_at = clock.now()
    rows: list[dict[str, Any]] = []
    dropped = repeated = 0
    seen: set[str] = set()
    for event, lesson, account, _ in people:
        category = event.consent_category
        if category is not None and (account, category.value) in withdrawn:
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
                "lesson_id": lesson.id,
                "account_id": account,
                "at": event.at,
                "kind": event.kind,
                "record_kind": event.record_kind.value,
                "data": event.data,
                "ip_prefix": event.ip_prefix,
                "ip_hash": event.ip_hash,
                "received_at": received_at,
            }
        )
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

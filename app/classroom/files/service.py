"""Recordings and monitoring snapshots: upload to the object store, signed links, grants.

No HTTP and no commit. The workflows the routes call (`upload_for`, `list_files`,
`link_for`, `create_grant`, `list_grants`, `revoke`, `ingest_upload`) write the audit entry
of what they read or changed; `upload`, `link`, `grant` and `revoke_grant` are their steps.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.service import find_account
from app.authz import audit
from app.authz.access import Access
from app.authz.audit import record_access
from app.classroom.files import media, repository
from app.classroom.files.links import link
from app.classroom.files.storage import Readable, get_store, receive
from app.classroom.models import LessonFile, RecordingGrant
from app.classroom.visibility import file_predicate, visible_lesson
from app.core import clock
from app.core.config import Settings
from app.core.errors import Conflict, Invalid, NotFound
from app.core.ids import new_id, parse_id
from app.core.pagination import PageParams, paginate
from app.core.phones import normalize_field
from app.core.security import Keys
from app.core.vocabulary import Action, RecordKind
from app.roster.models import Lesson
from app.tenancy import repository as tenancy_repository

RECORDING, SNAPSHOT = RecordKind.RECORDING, RecordKind.SNAPSHOT
# The ingestion path names the kind in the plural.
INGEST_KINDS = {"recordings": RECORDING, "snapshots": SNAPSHOT}
NOTICE_REQUIRED = (
    "a recording needs the recording notice (CLS-5/6): send notice_shown=true once the "
    "classroom showed participants the notice, or mark the lesson as having shown it"
)


@dataclass(frozen=True, slots=True)
class Upload:
    """An upload as the form sent it (already parsed)."""

    source: Readable
    content_type: str
    duration_seconds: float | None
    notice_shown: bool


async def upload(
    session: AsyncSession,
    settings: Settings,
    lesson: Lesson,
    kind: str,
    source: Readable,
    *,
    content_type: str,
    duration_seconds: float | None,
    notice_shown: bool | None,
    uploaded_by: uuid.UUID | None = None,
    uploaded_by_key: uuid.UUID | None = None,
) -> LessonFile:
    """Store the bytes, then the row; a recording without the notice flag is refused (409)."""
    if kind == RECORDING:
        if not (notice_shown or lesson.recording_notice_shown):
            raise Conflict(NOTICE_REQUIRED, field="notice_shown")
        if notice_shown and not lesson.recording_notice_shown:
            lesson.recording_notice_shown = True
    if duration_seconds is not None and duration_seconds < 0:
        raise Invalid("duration_seconds", "must be zero or more")
    store = get_store(settings)
    received = await receive(source, store.temp_dir(), settings.upload_max_bytes)
    file_id = new_id()
    key = f"{lesson.tenant_id}/{lesson.id}/{kind}/{file_id}"
    try:
        content_type = await anyio.to_thread.run_sync(
            media.checked_type, kind, content_type, received.path
        )
        await store.put(key, received.path, content_type)
    finally:
        await anyio.Path(received.path).unlink(missing_ok=True)
    file = LessonFile(
        tenant_id=lesson.tenant_id,
        id=file_id,
        lesson_id=lesson.id,
        kind=kind,
        object_key=key,
        content_type=content_type[:100],
        size_bytes=received.size,
        sha256=received.sha256,
        duration_seconds=duration_seconds,
        notice_shown=bool(notice_shown or lesson.recording_notice_shown),
        uploaded_by=uploaded_by,
        uploaded_by_key=uploaded_by_key,
    )
    repository.add_file(session, file)
    await session.flush()
    return file


async def grant(
    session: AsyncSession,
    keys: Keys,
    settings: Settings,
    recording: LessonFile,
    *,
    phone: str | None,
    course_id: uuid.UUID | None,
    expires_at: datetime,
    created_by: uuid.UUID,
) -> RecordingGrant:
    if expires_at <= clock.now():
        raise Invalid("expires_at", "must be in the future")
    account_id = None
    if phone is not None:
        account = await find_account(
            session, keys, normalize_field(phone, "phone", settings.default_region)
        )
        roles = (
            await tenancy_repository.live_roles(session, recording.tenant_id, account.id)
            if account is not None
            else frozenset()
        )
        if account is None or not roles:
            raise Invalid("phone", "not a member of this school")
        account_id = account.id
    elif course_id is not None and not await repository.course_exists(
        session, recording.tenant_id, course_id
    ):
        raise Invalid("course_id", "no such course in this school")
    row = RecordingGrant(
        tenant_id=recording.tenant_id,
        recording_id=recording.id,
        account_id=account_id,
        course_id=course_id,
        expires_at=expires_at,
        created_by=created_by,
    )
    repository.add_grant(session, row)
    await session.flush()
    return row


async def revoke_grant(
    session: AsyncSession, tenant_id: uuid.UUID, recording_id: uuid.UUID, grant_id: uuid.UUID
) -> RecordingGrant:
    row = await repository.grant_by_id(session, tenant_id, recording_id, grant_id)
    if row is None:
        raise NotFound("no such grant")
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        await session.flush()
    return row


# --- workflows of the routes ----------------------------------------------------------------


async def upload_for(
    session: AsyncSession, settings: Settings, access: Access, lesson: Lesson, sent: Upload
) -> LessonFile:
    """A person uploads a recording or snapshot (`access.record_kind`) of a lesson; audited."""
    file = await upload(
        session,
        settings,
        lesson,
        access.record_kind,
        sent.source,
        content_type=sent.content_type,
        duration_seconds=sent.duration_seconds,
        notice_shown=sent.notice_shown,
        uploaded_by=access.account_id,
    )
    subjects = await repository.participants(session, file.tenant_id, file.lesson_id)
    await record_access(session, access, subjects, detail={"file_id": str(file.id)})
    return file


async def ingest_lesson(
    session: AsyncSession, tenant_id: uuid.UUID, lesson_id: str, kind: str
) -> tuple[Lesson, RecordKind]:
    """The lesson and file kind an ingestion upload names; 404 for either unknown."""
    parsed = parse_id(lesson_id)
    lesson = await repository.lesson_by_id(session, tenant_id, parsed) if parsed else None
    if kind not in INGEST_KINDS or lesson is None:
        raise NotFound("no such lesson")
    return lesson, INGEST_KINDS[kind]


async def ingest_upload(
    session: AsyncSession,
    settings: Settings,
    key_id: uuid.UUID,
    lesson: Lesson,
    kind: RecordKind,
    sent: Upload,
    *,
    request_id: str | None,
) -> LessonFile:
    """The classroom service (an API key) uploads a recording or snapshot; audited."""
    file = await upload(
        session,
        settings,
        lesson,
        kind,
        sent.source,
        content_type=sent.content_type,
        duration_seconds=sent.duration_seconds,
        notice_shown=sent.notice_shown,
        uploaded_by_key=key_id,
    )
    await audit.record_for_api_key(
        session,
        lesson.tenant_id,
        key_id,
        record_kind=kind,
        action=Action.CREATE,
        subjects=await repository.participants(session, file.tenant_id, file.lesson_id),
        request_id=request_id,
        detail={"file_id": str(file.id)},
    )
    return file


async def list_files(
    session: AsyncSession, access: Access, lesson_id: str, kind: str, page: PageParams
) -> tuple[list[LessonFile], str | None]:
    """A page of the lesson's files of one kind the caller reaches; audited."""
    lesson = await visible_lesson(session, access.tenant_id, lesson_id, [access])
    visible = file_predicate(access, repository.course_column())
    rows = await repository.list_files(
        session, access.tenant_id, lesson.id, kind, visible, after=page.after_id(), fetch=page.fetch
    )
    items, cursor = paginate(rows, page.limit, lambda f: [str(f.id)])
    subjects = await repository.participants(session, access.tenant_id, lesson.id) if items else []
    await record_access(session, access, subjects, detail={"lesson_id": str(lesson.id)})
    return items, cursor


async def visible_file(
    session: AsyncSession, access: Access, file_id: str, kind: str
) -> LessonFile:
    """The file named in a path, if the caller's scopes reach it; else 404."""
    parsed = parse_id(file_id)
    visible = file_predicate(access, repository.course_column())
    file = (
        await repository.visible_file(session, access.tenant_id, parsed, kind, visible)
        if parsed
        else None
    )
    if file is None:
        raise NotFound(f"no such {kind}")
    return file


async def link_for(
    session: AsyncSession, settings: Settings, keys: Keys, access: Access, file: LessonFile
) -> tuple[str, datetime]:
    """A signed link to the file, the read audited with the lesson's participants."""
    url, expires = await link(settings, keys, file, access.account_id, access.purpose)
    subjects = await repository.participants(session, file.tenant_id, file.lesson_id)
    await record_access(session, access, subjects, detail={"file_id": str(file.id)})
    return url, expires


async def create_grant(
    session: AsyncSession,
    keys: Keys,
    settings: Settings,
    access: Access,
    recording: LessonFile,
    *,
    phone: str | None,
    course_id: uuid.UUID | None,
    expires_at: datetime,
) -> RecordingGrant:
    row = await grant(
        session,
        keys,
        settings,
        recording,
        phone=phone,
        course_id=course_id,
        expires_at=expires_at,
        created_by=access.account_id,
    )
    subjects = [row.account_id] if row.account_id else []
    await record_access(session, access, subjects, detail={"grant_id": str(row.id)})
    return row


async def list_grants(
    session: AsyncSession, access: Access, recording: LessonFile, page: PageParams
) -> tuple[list[RecordingGrant], str | None]:
    """Who may watch a recording through a grant; the read is audited as a list."""
    rows = await repository.grants_of(
        session, access.tenant_id, recording.id, after=page.after_id(), fetch=page.fetch
    )
    items, cursor = paginate(rows, page.limit, lambda g: [str(g.id)])
    subjects = [g.account_id for g in items if g.account_id]
    await record_access(
        session, access, subjects, action=Action.LIST, detail={"recording_id": str(recording.id)}
    )
    return items, cursor


async def revoke(
    session: AsyncSession, access: Access, recording: LessonFile, grant_id: str
) -> RecordingGrant:
    parsed = parse_id(grant_id)
    if parsed is None:
        raise NotFound("no such grant")
    row = await revoke_grant(session, access.tenant_id, recording.id, parsed)
    subjects = [row.account_id] if row.account_id else []
    await record_access(session, access, subjects, detail={"grant_id": str(row.id)})
    return row

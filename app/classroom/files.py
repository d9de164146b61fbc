"""Recordings and monitoring snapshots: upload to the object store, signed links, grants."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.service import find_account
from app.classroom import file_repository as repository
from app.classroom.models import LessonFile, RecordingGrant
from app.classroom.storage import Readable, get_store, receive, sign_link
from app.core import clock
from app.core.config import Settings
from app.core.errors import Conflict, Invalid, NotFound
from app.core.ids import new_id
from app.core.phones import normalize_field
from app.core.security import Keys
from app.roster.models import Lesson
from app.tenancy import repository as tenancy_repository

RECORDING, SNAPSHOT = "recording", "snapshot"
NOTICE_REQUIRED = (
    "a recording needs the recording notice (CLS-5/6): send notice_shown=true once the "
    "classroom showed participants the notice, or mark the lesson as having shown it"
)


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


async def link(settings: Settings, keys: Keys, file: LessonFile) -> tuple[str, datetime]:
    """A short-lived download URL: presigned on S3, an HMAC-signed `/v1/files/` path locally."""
    seconds = settings.signed_link_seconds
    presigned = await get_store(settings).presigned_url(file.object_key, seconds, file.content_type)
    if presigned is not None:
        return presigned, clock.now() + timedelta(seconds=seconds)
    token, expires = sign_link(keys.link_signing, file.tenant_id, file.id, seconds)
    return f"/v1/files/{token}", expires


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

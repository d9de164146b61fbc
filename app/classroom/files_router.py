"""Recordings and snapshots over HTTP: multipart upload, lists, signed links, grants."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import StreamingResponse
from starlette.datastructures import UploadFile

from app.authz import audit
from app.authz.access import Access
from app.authz.audit import record_access
from app.authz.deps import ApiKeyClient, authorize
from app.classroom import file_repository, files, reads
from app.classroom.models import LessonFile, RecordingGrant
from app.classroom.schemas import FileOut, GrantCreate, GrantOut, LinkOut
from app.classroom.storage import get_store, verify_link
from app.core import clock
from app.core.db import set_tenant
from app.core.deps import KeysDep, SessionDep, SettingsDep
from app.core.errors import Invalid, NotFound, PayloadTooLarge, Unauthorized
from app.core.ids import parse_id
from app.core.pagination import Page, PageParams, encode_cursor, page_params
from app.roster.models import Lesson

router = APIRouter(tags=["recordings"])

LESSON = "/v1/tenants/{slug}/lessons/{lesson_id}"
FORM_OVERHEAD = 64 * 1024  # multipart boundaries and the small fields around the file


def _auth(kind: str, action: str) -> object:
    return authorize(kind, action, purpose="teaching_management")


RecordingList = Annotated[Access, _auth("recording", "list")]
RecordingRead = Annotated[Access, _auth("recording", "read")]
RecordingCreate = Annotated[Access, _auth("recording", "create")]
RecordingGrantAccess = Annotated[Access, _auth("recording", "grant")]
SnapshotList = Annotated[Access, _auth("snapshot", "list")]
SnapshotRead = Annotated[Access, _auth("snapshot", "read")]
SnapshotCreate = Annotated[Access, _auth("snapshot", "create")]


def _out(file: LessonFile) -> FileOut:
    return FileOut(
        id=file.id,
        lesson=file.lesson_id,
        kind=file.kind,
        content_type=file.content_type,
        size_bytes=file.size_bytes,
        sha256=file.sha256,
        duration_seconds=file.duration_seconds,
        notice_shown=file.notice_shown,
        uploaded_by=file.uploaded_by,
        created_at=file.created_at,
    )


async def _upload(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    lesson: Lesson,
    kind: str,
    *,
    uploaded_by: uuid.UUID | None = None,
    uploaded_by_key: uuid.UUID | None = None,
) -> LessonFile:
    declared = request.headers.get("content-length")
    if (
        declared
        and declared.isdigit()
        and int(declared) > settings.upload_max_bytes + FORM_OVERHEAD
    ):
        raise PayloadTooLarge(
            f"the upload is larger than the limit of {settings.upload_max_bytes} bytes",
            field="file",
        )
    form = await request.form(max_files=1, max_fields=10)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise Invalid("file", "a multipart field `file` with the content is required")
    duration = form.get("duration_seconds")
    notice = form.get("notice_shown")
    try:
        seconds = float(duration) if isinstance(duration, str) and duration else None
    except ValueError:
        raise Invalid("duration_seconds", "must be a number of seconds") from None
    if isinstance(notice, str) and notice.lower() not in ("true", "false", "1", "0", ""):
        raise Invalid("notice_shown", "must be true or false")
    return await files.upload(
        session,
        settings,
        lesson,
        kind,
        upload,
        content_type=upload.content_type or "application/octet-stream",
        duration_seconds=seconds,
        notice_shown=isinstance(notice, str) and notice.lower() in ("true", "1"),
        uploaded_by=uploaded_by,
        uploaded_by_key=uploaded_by_key,
    )


async def _created(session: SessionDep, access: Access, file: LessonFile) -> FileOut:
    subjects = await reads.participants(session, file.tenant_id, file.lesson_id)
    await record_access(session, access, subjects, detail={"file_id": str(file.id)})
    return _out(file)


@router.post(LESSON + "/recordings", status_code=201, response_model=FileOut)
async def upload_recording(
    request: Request,
    access: RecordingCreate,
    session: SessionDep,
    settings: SettingsDep,
    lesson_id: str,
) -> FileOut:
    """multipart: `file`, `duration_seconds`, `notice_shown` (needed unless the lesson has it)."""
    lesson = await reads.visible_lesson(session, access.tenant_id, lesson_id, [access])
    file = await _upload(
        request, session, settings, lesson, files.RECORDING, uploaded_by=access.account_id
    )
    return await _created(session, access, file)


@router.post(LESSON + "/snapshots", status_code=201, response_model=FileOut)
async def upload_snapshot(
    request: Request,
    access: SnapshotCreate,
    session: SessionDep,
    settings: SettingsDep,
    lesson_id: str,
) -> FileOut:
    lesson = await reads.visible_lesson(session, access.tenant_id, lesson_id, [access])
    file = await _upload(
        request, session, settings, lesson, files.SNAPSHOT, uploaded_by=access.account_id
    )
    return await _created(session, access, file)


@router.post("/v1/ingest/lessons/{lesson_id}/{kind}", status_code=201, tags=["ingestion"])
async def ingest_file(
    request: Request,
    client: ApiKeyClient,
    session: SessionDep,
    settings: SettingsDep,
    lesson_id: str,
    kind: str,
) -> FileOut:
    """The classroom service uploads a recording or snapshot (`kind`: recordings | snapshots)."""
    kinds = {"recordings": files.RECORDING, "snapshots": files.SNAPSHOT}
    parsed = parse_id(lesson_id)
    lesson = (
        await file_repository.lesson_by_id(session, client.tenant_id, parsed) if parsed else None
    )
    if kind not in kinds or lesson is None:
        raise NotFound("no such lesson")
    file = await _upload(
        request, session, settings, lesson, kinds[kind], uploaded_by_key=client.key_id
    )
    await audit.record(
        session,
        tenant_id=client.tenant_id,
        actor_id=None,
        actor_kind="api_key",
        record_kind=kinds[kind],
        action="create",
        purpose=None,
        subjects=await reads.participants(session, file.tenant_id, file.lesson_id),
        request_id=getattr(request.state, "request_id", None),
        detail={"api_key_id": str(client.key_id), "file_id": str(file.id)},
    )
    return _out(file)


async def _list(
    session: SessionDep, access: Access, lesson_id: str, kind: str, page: PageParams
) -> Page[FileOut]:
    lesson = await reads.visible_lesson(session, access.tenant_id, lesson_id, [access])
    after = page.after_id()
    visible = reads.file_predicate(access, file_repository.course_column())
    rows = await file_repository.list_files(
        session, access.tenant_id, lesson.id, kind, visible, after=after, limit=page.limit + 1
    )
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    subjects = await reads.participants(session, access.tenant_id, lesson.id) if rows else []
    await record_access(session, access, subjects, detail={"lesson_id": str(lesson.id)})
    cursor = encode_cursor([str(rows[-1].id)]) if more else None
    return Page(items=[_out(f) for f in rows], next_cursor=cursor)


@router.get(LESSON + "/recordings", response_model=Page[FileOut])
async def list_recordings(
    access: RecordingList,
    session: SessionDep,
    lesson_id: str,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[FileOut]:
    return await _list(session, access, lesson_id, files.RECORDING, page)


@router.get(LESSON + "/snapshots", response_model=Page[FileOut])
async def list_snapshots(
    access: SnapshotList,
    session: SessionDep,
    lesson_id: str,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[FileOut]:
    return await _list(session, access, lesson_id, files.SNAPSHOT, page)


async def _visible(session: SessionDep, access: Access, file_id: str, kind: str) -> LessonFile:
    parsed = parse_id(file_id)
    visible = reads.file_predicate(access, file_repository.course_column())
    file = (
        await file_repository.visible_file(session, access.tenant_id, parsed, kind, visible)
        if parsed
        else None
    )
    if file is None:
        raise NotFound(f"no such {kind}")
    return file


async def _link(
    session: SessionDep, settings: SettingsDep, keys: KeysDep, access: Access, file: LessonFile
) -> LinkOut:
    url, expires = await files.link(settings, keys, file)
    subjects = await reads.participants(session, file.tenant_id, file.lesson_id)
    await record_access(session, access, subjects, detail={"file_id": str(file.id)})
    return LinkOut(url=url, expires_at=expires)


@router.get("/v1/tenants/{slug}/recordings/{file_id}/link", response_model=LinkOut)
async def recording_link(
    access: RecordingRead,
    session: SessionDep,
    settings: SettingsDep,
    keys: KeysDep,
    file_id: str,
) -> LinkOut:
    file = await _visible(session, access, file_id, files.RECORDING)
    return await _link(session, settings, keys, access, file)


@router.get("/v1/tenants/{slug}/snapshots/{file_id}/link", response_model=LinkOut)
async def snapshot_link(
    access: SnapshotRead,
    session: SessionDep,
    settings: SettingsDep,
    keys: KeysDep,
    file_id: str,
) -> LinkOut:
    file = await _visible(session, access, file_id, files.SNAPSHOT)
    return await _link(session, settings, keys, access, file)


@router.get("/v1/files/{token}", response_class=StreamingResponse)
async def download(
    token: str, session: SessionDep, settings: SettingsDep, keys: KeysDep
) -> StreamingResponse:
    """The bytes behind a signed link (the link is the authorisation, and it expires)."""
    verified = verify_link(keys.link_signing, token)
    if isinstance(verified, str):
        raise Unauthorized(f"the download link is {verified}")
    tenant_id, file_id = verified
    await set_tenant(session, tenant_id)
    file = await file_repository.file_by_id(session, tenant_id, file_id)
    if file is None:
        raise NotFound("no such file")
    return StreamingResponse(
        get_store(settings).stream(file.object_key),
        media_type=file.content_type,
        headers={"Content-Length": str(file.size_bytes), "Cache-Control": "private, no-store"},
    )


GRANTS = "/v1/tenants/{slug}/recordings/{file_id}/grants"


@router.post(GRANTS, status_code=201, response_model=GrantOut)
async def create_grant(
    body: GrantCreate,
    access: RecordingGrantAccess,
    session: SessionDep,
    settings: SettingsDep,
    keys: KeysDep,
    file_id: str,
) -> GrantOut:
    recording = await _visible(session, access, file_id, files.RECORDING)
    grant = await files.grant(
        session,
        keys,
        settings,
        recording,
        phone=body.phone,
        course_id=body.course_id,
        expires_at=body.expires_at,
        created_by=access.account_id,
    )
    subjects = [grant.account_id] if grant.account_id else []
    await record_access(session, access, subjects, detail={"grant_id": str(grant.id)})
    return _grant_out(grant)


def _grant_out(grant: RecordingGrant) -> GrantOut:
    if grant.revoked_at is not None:
        status: Literal["active", "expired", "revoked"] = "revoked"
    else:
        status = "expired" if grant.expires_at <= clock.now() else "active"
    return GrantOut(
        id=grant.id,
        recording_id=grant.recording_id,
        account_id=grant.account_id,
        course_id=grant.course_id,
        expires_at=grant.expires_at,
        created_at=grant.created_at,
        revoked_at=grant.revoked_at,
        status=status,
    )


@router.get(GRANTS, response_model=Page[GrantOut])
async def list_grants(
    access: RecordingGrantAccess,
    session: SessionDep,
    file_id: str,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[GrantOut]:
    """Who may watch a recording through a grant, so an admin can see and revoke them."""
    recording = await _visible(session, access, file_id, files.RECORDING)
    after = page.after_id()
    rows = list(
        await file_repository.grants_of(
            session, access.tenant_id, recording.id, after=after, limit=page.limit + 1
        )
    )
    more, rows = len(rows) > page.limit, rows[: page.limit]
    subjects = [g.account_id for g in rows if g.account_id]
    await record_access(
        session, access, subjects, action="list", detail={"recording_id": str(recording.id)}
    )
    cursor = encode_cursor([str(rows[-1].id)]) if more else None
    return Page(items=[_grant_out(g) for g in rows], next_cursor=cursor)


@router.delete(GRANTS + "/{grant_id}", status_code=204)
async def revoke_grant(
    access: RecordingGrantAccess, session: SessionDep, file_id: str, grant_id: str
) -> Response:
    recording = await _visible(session, access, file_id, files.RECORDING)
    parsed = parse_id(grant_id)
    if parsed is None:
        raise NotFound("no such grant")
    grant = await files.revoke_grant(session, access.tenant_id, recording.id, parsed)
    subjects = [grant.account_id] if grant.account_id else []
    await record_access(session, access, subjects, detail={"grant_id": str(grant.id)})
    return Response(status_code=204)

"""Recordings and snapshots over HTTP: multipart upload, lists, signed links, grants."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse, StreamingResponse
from starlette.datastructures import UploadFile

from app.authz.access import Access
from app.authz.deps import ApiKeyClient, authorize
from app.classroom.files import links, media, service
from app.classroom.files.schemas import FileOut, GrantCreate, GrantOut, LinkOut
from app.classroom.files.service import RECORDING, SNAPSHOT, Upload
from app.classroom.ingest.openapi import UPLOAD_BODY
from app.classroom.visibility import visible_lesson
from app.core.config import Settings
from app.core.deps import KeysDep, SessionDep, SettingsDep
from app.core.errors import Invalid
from app.core.pagination import Page, PageParams, page_params
from app.core.vocabulary import Action, Purpose, RecordKind

router = APIRouter(tags=["recordings"])

LESSON = "/v1/tenants/{slug}/lessons/{lesson_id}"
GRANTS = "/v1/tenants/{slug}/recordings/{file_id}/grants"


def _auth(kind: RecordKind, action: Action) -> object:
    return authorize(kind, action, purpose=Purpose.TEACHING_MANAGEMENT)


RecordingList = Annotated[Access, _auth(RecordKind.RECORDING, Action.LIST)]
RecordingRead = Annotated[Access, _auth(RecordKind.RECORDING, Action.READ)]
RecordingCreate = Annotated[Access, _auth(RecordKind.RECORDING, Action.CREATE)]
RecordingGrantAccess = Annotated[Access, _auth(RecordKind.RECORDING, Action.GRANT)]
SnapshotList = Annotated[Access, _auth(RecordKind.SNAPSHOT, Action.LIST)]
SnapshotRead = Annotated[Access, _auth(RecordKind.SNAPSHOT, Action.READ)]
SnapshotCreate = Annotated[Access, _auth(RecordKind.SNAPSHOT, Action.CREATE)]
Paging = Annotated[PageParams, Depends(page_params)]


async def _form(request: Request, settings: Settings) -> Upload:
    """The multipart upload: `file`, `duration_seconds`, `notice_shown`.

    The body as a whole is capped by `app.core.bodylimit`; the file itself while it is stored.
    """
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
    return Upload(
        source=upload,
        content_type=upload.content_type or "application/octet-stream",
        duration_seconds=seconds,
        notice_shown=isinstance(notice, str) and notice.lower() in ("true", "1"),
    )


@router.post(
    LESSON + "/recordings", status_code=201, response_model=FileOut, openapi_extra=UPLOAD_BODY
)
async def upload_recording(
    request: Request,
    access: RecordingCreate,
    session: SessionDep,
    settings: SettingsDep,
    lesson_id: str,
) -> FileOut:
    """multipart: `file`, `duration_seconds`, `notice_shown` (needed unless the lesson has it)."""
    lesson = await visible_lesson(session, access.tenant_id, lesson_id, [access])
    sent = await _form(request, settings)
    return FileOut.of(await service.upload_for(session, settings, access, lesson, sent))


@router.post(
    LESSON + "/snapshots", status_code=201, response_model=FileOut, openapi_extra=UPLOAD_BODY
)
async def upload_snapshot(
    request: Request,
    access: SnapshotCreate,
    session: SessionDep,
    settings: SettingsDep,
    lesson_id: str,
) -> FileOut:
    lesson = await visible_lesson(session, access.tenant_id, lesson_id, [access])
    sent = await _form(request, settings)
    return FileOut.of(await service.upload_for(session, settings, access, lesson, sent))


@router.post(
    "/v1/ingest/lessons/{lesson_id}/{kind}",
    status_code=201,
    tags=["ingestion"],
    openapi_extra=UPLOAD_BODY,
)
async def ingest_file(
    request: Request,
    client: ApiKeyClient,
    session: SessionDep,
    settings: SettingsDep,
    lesson_id: str,
    kind: str,
) -> FileOut:
    """The classroom service uploads a recording or snapshot (`kind`: recordings | snapshots)."""
    lesson, file_kind = await service.ingest_lesson(session, client.tenant_id, lesson_id, kind)
    sent = await _form(request, settings)
    file = await service.ingest_upload(
        session, settings, client.key_id, lesson, file_kind, sent,
        request_id=getattr(request.state, "request_id", None),
    )  # fmt: skip
    return FileOut.of(file)


@router.get(LESSON + "/recordings", response_model=Page[FileOut])
async def list_recordings(
    access: RecordingList, session: SessionDep, lesson_id: str, page: Paging
) -> Page[FileOut]:
    rows, cursor = await service.list_files(session, access, lesson_id, RECORDING, page)
    return Page(items=[FileOut.of(f) for f in rows], next_cursor=cursor)


@router.get(LESSON + "/snapshots", response_model=Page[FileOut])
async def list_snapshots(
    access: SnapshotList, session: SessionDep, lesson_id: str, page: Paging
) -> Page[FileOut]:
    rows, cursor = await service.list_files(session, access, lesson_id, SNAPSHOT, page)
    return Page(items=[FileOut.of(f) for f in rows], next_cursor=cursor)


@router.get("/v1/tenants/{slug}/recordings/{file_id}/link", response_model=LinkOut)
async def recording_link(
    access: RecordingRead,
    session: SessionDep,
    settings: SettingsDep,
    keys: KeysDep,
    file_id: str,
) -> LinkOut:
    file = await service.visible_file(session, access, file_id, RECORDING)
    url, expires = await service.link_for(session, settings, keys, access, file)
    return LinkOut(url=url, expires_at=expires)


@router.get("/v1/tenants/{slug}/snapshots/{file_id}/link", response_model=LinkOut)
async def snapshot_link(
    access: SnapshotRead,
    session: SessionDep,
    settings: SettingsDep,
    keys: KeysDep,
    file_id: str,
) -> LinkOut:
    file = await service.visible_file(session, access, file_id, SNAPSHOT)
    url, expires = await service.link_for(session, settings, keys, access, file)
    return LinkOut(url=url, expires_at=expires)


@router.get(
    "/v1/files/{token}",
    response_class=StreamingResponse,
    responses={307: {"description": "on S3: to a presigned URL, after the checks"}},
)
async def download(
    token: str, session: SessionDep, settings: SettingsDep, keys: KeysDep
) -> Response:
    """The bytes behind a signed link. The link expires, and its holder's access (role,
    grant, attendance for an export's link) is checked again now."""
    found = await links.downloadable(session, settings, keys, token)
    if found.redirect is not None:
        return RedirectResponse(found.redirect, 307, headers={"Cache-Control": "no-store"})
    file = found.file
    name = f"{file.kind}-{file.id}.{media.extension(file.content_type)}"
    content_type, headers = media.serving_headers(file.kind, file.content_type, name)
    headers["Content-Length"] = str(file.size_bytes)
    assert found.chunks is not None
    return StreamingResponse(found.chunks, media_type=content_type, headers=headers)


@router.post(GRANTS, status_code=201, response_model=GrantOut)
async def create_grant(
    body: GrantCreate,
    access: RecordingGrantAccess,
    session: SessionDep,
    settings: SettingsDep,
    keys: KeysDep,
    file_id: str,
) -> GrantOut:
    recording = await service.visible_file(session, access, file_id, RECORDING)
    grant = await service.create_grant(
        session, keys, settings, access, recording,
        phone=body.phone, course_id=body.course_id, expires_at=body.expires_at,
    )  # fmt: skip
    return GrantOut.of(grant)


@router.get(GRANTS, response_model=Page[GrantOut])
async def list_grants(
    access: RecordingGrantAccess, session: SessionDep, file_id: str, page: Paging
) -> Page[GrantOut]:
    """Who may watch a recording through a grant, so an admin can see and revoke them."""
    recording = await service.visible_file(session, access, file_id, RECORDING)
    rows, cursor = await service.list_grants(session, access, recording, page)
    return Page(items=[GrantOut.of(g) for g in rows], next_cursor=cursor)


@router.delete(GRANTS + "/{grant_id}", status_code=204)
async def revoke_grant(
    access: RecordingGrantAccess, session: SessionDep, file_id: str, grant_id: str
) -> Response:
    recording = await service.visible_file(session, access, file_id, RECORDING)
    await service.revoke(session, access, recording, grant_id)
    return Response(status_code=204)

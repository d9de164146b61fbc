"""HTTP for the person's own profile: `/v1/me/profile` and its avatar."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from starlette.datastructures import UploadFile

from app.accounts.deps import CurrentAccount
from app.classroom.files.media import SANDBOX
from app.core.deps import SessionDep, SettingsDep
from app.core.errors import Invalid
from app.core.openapi import file_upload_body
from app.rights.profile import service
from app.rights.profile.schemas import ProfileIn, ProfileOut

router = APIRouter(tags=["me"])
AVATAR_BODY = file_upload_body("JPEG, PNG or WebP (judged by the bytes), 512 KiB")


@router.get("/v1/me/profile", response_model=ProfileOut)
async def my_profile(account: CurrentAccount) -> ProfileOut:
    """My nickname and avatar, and what my school registered (corrected by request)."""
    return service.profile_out(account)


@router.patch("/v1/me/profile", response_model=ProfileOut)
async def edit_profile(
    body: ProfileIn, account: CurrentAccount, session: SessionDep, settings: SettingsDep
) -> ProfileOut:
    """Only the fields sent change: `nickname` (null or "" clears it), `avatar: null`."""
    return service.profile_out(await service.update(session, settings, account, body))


@router.put("/v1/me/profile/avatar", response_model=ProfileOut, openapi_extra=AVATAR_BODY)
async def upload_avatar(
    request: Request, account: CurrentAccount, session: SessionDep, settings: SettingsDep
) -> ProfileOut:
    """multipart `file`: a JPEG, PNG or WebP image of at most 512 KiB; replaces the old one."""
    form = await request.form(max_files=1, max_fields=2)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise Invalid("file", "a multipart field `file` with the image is required")
    declared = upload.content_type or ""
    await service.set_avatar(session, settings, account, upload, declared)
    return service.profile_out(account)


@router.get("/v1/me/profile/avatar", response_class=StreamingResponse)
async def my_avatar(account: CurrentAccount, settings: SettingsDep) -> StreamingResponse:
    content_type, body = service.avatar_bytes(settings, account)
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": SANDBOX,
        "Cache-Control": "private, no-store",
    }
    return StreamingResponse(body, media_type=content_type, headers=headers)


@router.delete("/v1/me/profile/avatar", status_code=204)
async def remove_avatar(
    account: CurrentAccount, session: SessionDep, settings: SettingsDep
) -> Response:
    await service.remove_avatar(session, settings, account)
    return Response(status_code=204)

"""My profile (student, teacher, anyone signed in): nickname and avatar (ACC-3, RGT-3).

Each form calls what `/v1/me/profile` calls. What the school registered (name, phone) is
shown, not edited: its correction is a rights request of type correction.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.responses import RedirectResponse, StreamingResponse
from pydantic import ValidationError

from app.classroom.files.media import SANDBOX
from app.core.deps import SessionDep, SettingsDep
from app.core.errors import DomainError
from app.portal.deps import FormOfSession, SignedIn
from app.portal.forms import FieldErrors, from_validation
from app.portal.i18n import gettext_for
from app.portal.render import language, page
from app.portal.routing import PortalRoute
from app.rights.profile import service
from app.rights.profile.schemas import ProfileIn

router = APIRouter(prefix="/portal/me", route_class=PortalRoute, include_in_schema=False)
HERE = "/portal/me/profile"


def _page(request: Request, me: SignedIn, errors: FieldErrors, status: int = 200) -> Response:
    profile = service.profile_out(me.account)
    return page(request, "me/profile.html", status=status, profile=profile, errors=errors,
                suffix="", kids=[])  # fmt: skip


@router.get("/profile")
async def my_profile(request: Request, me: SignedIn) -> Response:
    return _page(request, me, {})


@router.post("/profile")
async def edit_nickname(
    request: Request,
    me: FormOfSession,
    session: SessionDep,
    settings: SettingsDep,
    nickname: Annotated[str, Form()] = "",
) -> Response:
    try:
        body = ProfileIn.model_validate({"nickname": nickname})
    except ValidationError as exc:
        return _page(request, me, from_validation(exc, gettext_for(language(request))), 422)
    await service.update(session, settings, me.account, body)
    return RedirectResponse(HERE, status_code=303)


@router.post("/profile/avatar")
async def upload_avatar(
    request: Request,
    me: FormOfSession,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    _ = gettext_for(language(request))
    if file is None or not file.filename:
        return _page(request, me, {"file": _("Choose an image to upload.")}, 422)
    try:
        await service.set_avatar(session, settings, me.account, file, file.content_type or "")
    except DomainError as exc:
        if exc.status == 413:
            return _page(request, me, {"file": _("The image is larger than 512 KiB.")}, 413)
        if exc.status != 422:
            raise
        return _page(request, me, {"file": _("The file is not a JPEG, PNG or WebP image.")}, 422)
    return RedirectResponse(HERE, status_code=303)


@router.post("/profile/avatar/remove")
async def remove_avatar(me: FormOfSession, session: SessionDep, settings: SettingsDep) -> Response:
    await service.remove_avatar(session, settings, me.account)
    return RedirectResponse(HERE, status_code=303)


@router.get("/profile/avatar")
async def my_avatar(me: SignedIn, settings: SettingsDep) -> StreamingResponse:
    content_type, body = service.avatar_bytes(settings, me.account)
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": SANDBOX,
        "Cache-Control": "private, no-store",
    }
    return StreamingResponse(body, media_type=content_type, headers=headers)

"""`PUT /v1/me/password` and `POST /v1/auth/password` (ACC-5)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from app.accounts import password_login, shutdown
from app.accounts.deps import CurrentAccount
from app.accounts.router import device_of
from app.accounts.schemas import TokenResponse
from app.accounts.session_deps import CallerSessionId
from app.core.deps import ContextDep, SessionDep
from app.core.errors import Forbidden, Unauthorized, problem
from app.core.phones import normalize_field

router = APIRouter(tags=["auth"])


class PasswordSet(BaseModel):
    password: str = Field(min_length=1, max_length=1024)
    code: str | None = Field(default=None, min_length=4, max_length=8, pattern=r"^\d+$")


class PasswordLogin(BaseModel):
    phone: str = Field(max_length=32)
    password: str = Field(min_length=1, max_length=1024)


def _refused(request: Request, exc: Unauthorized | Forbidden) -> Response:
    # Returned, not raised: the counted try must be committed, or the limit could be bypassed.
    response = problem(exc.status, exc.type, exc.title, exc.detail, request.url.path)
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


@router.put("/v1/me/password", status_code=204, tags=["me"])
async def set_password(
    body: PasswordSet,
    request: Request,
    account: CurrentAccount,
    caller: CallerSessionId,
    ctx: ContextDep,
    session: SessionDep,
) -> Response:
    try:
        await password_login.set_password(
            session, ctx.settings, ctx.keys, account, body.password, body.code, caller
        )
    except (Unauthorized, Forbidden) as exc:
        return _refused(request, exc)
    return Response(status_code=204)


@router.post("/v1/auth/password", response_model=TokenResponse, response_model_exclude_none=True)
async def password_sign_in(
    body: PasswordLogin, request: Request, ctx: ContextDep, session: SessionDep
) -> Any:
    e164 = normalize_field(body.phone, "phone", ctx.settings.default_region)
    try:
        pair = await password_login.sign_in(
            session, ctx.settings, ctx.keys, e164, body.password, device_of(request)
        )
    except Unauthorized as exc:
        return _refused(request, exc)
    return TokenResponse(
        access_token=pair.access_token,
        expires_in=pair.expires_in,
        refresh_token=pair.refresh_token,
        service_notice=await shutdown.service_notice(session),
    )

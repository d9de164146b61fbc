"""Login by SMS code; token refresh and logout; the JWKS."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from app.accounts import service, sessions, shutdown
from app.accounts.schemas import OtpRequest, RefreshRequest, TokenRequest, TokenResponse
from app.accounts.sms import make_sender
from app.core.deps import ContextDep, SessionDep
from app.core.errors import Unauthorized, problem
from app.core.phones import normalize_field

router = APIRouter(tags=["auth"])


@router.post("/v1/auth/otp", status_code=202)
async def send_code(
    body: OtpRequest, request: Request, ctx: ContextDep, session: SessionDep
) -> dict[str, Any]:
    e164 = normalize_field(body.phone, "phone", ctx.settings.default_region)
    sender = make_sender(ctx.settings, ctx.keys)
    ip = request.client.host if request.client else None
    await service.request_code(session, ctx.settings, ctx.keys, sender, e164, client_ip=ip)
    return {"sent": True, "expires_in": ctx.settings.otp_ttl_seconds}


def device_of(request: Request) -> sessions.Device:
    """The client may name itself (`X-Device-Name`); otherwise its user agent names it."""
    return sessions.Device(
        request.headers.get("X-Device-Name"),
        request.headers.get("User-Agent"),
        ip=request.client.host if request.client else None,
    )


def _unauthorized(request: Request, exc: Unauthorized) -> JSONResponse:
    # Returned, not raised: the failed try must be committed, or the limit could be bypassed.
    response = problem(exc.status, exc.type, exc.title, exc.detail, request.url.path)
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


@router.post("/v1/auth/token", response_model=TokenResponse, response_model_exclude_none=True)
async def exchange_code(
    body: TokenRequest, request: Request, ctx: ContextDep, session: SessionDep
) -> Any:
    e164 = normalize_field(body.phone, "phone", ctx.settings.default_region)
    if not await service.verify_code(session, ctx.settings, ctx.keys, e164, body.code):
        return _unauthorized(request, service.InvalidCode("the code is wrong, expired or used up"))
    account, _created = await service.get_or_create_account(session, ctx.keys, e164)
    if account.status != "active":
        return _unauthorized(request, Unauthorized("this account cannot sign in"))
    pair = await sessions.sign_in(
        session, ctx.settings, ctx.keys, account, device_of(request), via="code"
    )
    return TokenResponse(
        access_token=pair.access_token,
        expires_in=pair.expires_in,
        refresh_token=pair.refresh_token,
        service_notice=await shutdown.service_notice(session),
    )


@router.post("/v1/auth/refresh", response_model=TokenResponse)
async def refresh(
    body: RefreshRequest, request: Request, ctx: ContextDep, session: SessionDep
) -> Any:
    pair = await service.rotate_refresh(session, ctx.settings, ctx.keys, body.refresh_token)
    if pair is None:
        return _unauthorized(request, Unauthorized("the refresh token is invalid or was reused"))
    await sessions.touch(session, pair.family_id)
    return TokenResponse(
        access_token=pair.access_token, expires_in=pair.expires_in, refresh_token=pair.refresh_token
    )


@router.post("/v1/auth/logout", status_code=204)
async def logout(body: RefreshRequest, session: SessionDep) -> Response:
    await service.revoke(session, body.refresh_token)
    return Response(status_code=204)


@router.get("/.well-known/jwks.json", tags=["auth"])
async def jwks(ctx: ContextDep) -> dict[str, Any]:
    return ctx.keys.signer.jwks()

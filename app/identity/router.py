"""Sign-in with a school's identity provider, and the person's linked identities (ACC-7/8)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import shutdown
from app.accounts.deps import CurrentAccount
from app.accounts.router import device_of
from app.accounts.schemas import TokenResponse
from app.accounts.service import TokenPair
from app.core.deps import ContextDep, SessionDep
from app.core.errors import Unauthorized, problem
from app.core.pagination import PageParams, page_params
from app.core.phones import normalize_field
from app.identity import service
from app.identity.provider import ProviderRefused
from app.identity.schemas import (
    RGT17_NOTICE,
    ConfirmLinkIn,
    IdentityList,
    IdentityOut,
    PendingLinkOut,
)
from app.tenancy.deps import TenantDep

router = APIRouter(tags=["auth"])
PageDep = Annotated[PageParams, Depends(page_params)]
CALLBACK = "oidc_callback"


def _redirect_uri(request: Request, ctx: ContextDep, slug: str) -> str:
    base = ctx.settings.public_base_url
    if base:
        return f"{base.rstrip('/')}/v1/auth/oidc/{slug}/callback"
    return str(request.url_for(CALLBACK, slug=slug))


def _refused(request: Request, exc: Unauthorized) -> JSONResponse:
    # Returned, not raised: the used state (or the counted code try) must be committed.
    response = problem(exc.status, exc.type, exc.title, exc.detail, request.url.path, **exc.extra)
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


async def _tokens(session: AsyncSession, pair: TokenPair) -> TokenResponse:
    return TokenResponse(
        access_token=pair.access_token,
        expires_in=pair.expires_in,
        refresh_token=pair.refresh_token,
        service_notice=await shutdown.service_notice(session),  # SHD-1: every sign-in answer
    )


@router.get("/v1/auth/oidc/{slug}/login", status_code=302, response_class=RedirectResponse)
async def oidc_login(
    slug: str, school: TenantDep, request: Request, ctx: ContextDep, session: SessionDep
) -> RedirectResponse:
    """302 to the school's provider (PKCE S256, state and nonce kept hashed, single use)."""
    redirect_uri = _redirect_uri(request, ctx, slug)
    url = await service.begin(session, ctx.settings, ctx.keys, school, redirect_uri)
    return RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})


@router.get(
    "/v1/auth/oidc/{slug}/callback",
    name=CALLBACK,
    response_model=TokenResponse,
    response_model_exclude_none=True,
    responses={202: {"model": PendingLinkOut}},
)
async def oidc_callback(
    slug: str,
    school: TenantDep,
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    state: Annotated[str, Query(min_length=10, max_length=200)],
    code: Annotated[str | None, Query(max_length=2000)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Any:
    """The token answer of `/v1/auth/token`, or 202 asking to confirm a number by SMS code."""
    try:
        if error is not None or not code:
            raise ProviderRefused(f"the provider answered {error or 'no code'}")
        result = await service.callback(
            session,
            ctx.settings,
            ctx.keys,
            school,
            state=state,
            code=code,
            redirect_uri=_redirect_uri(request, ctx, slug),
            device=device_of(request),
        )
    except Unauthorized as exc:
        return _refused(request, exc)
    if isinstance(result, service.PendingLink):
        body = PendingLinkOut(
            link_token=result.link_token,
            expires_in=result.expires_in,
            phone_hint=result.phone_hint,
        )
        return JSONResponse(body.model_dump(), status_code=202)
    return await _tokens(session, result)


@router.post(
    "/v1/auth/oidc/{slug}/confirm", response_model=TokenResponse, response_model_exclude_none=True
)
async def oidc_confirm(
    body: ConfirmLinkIn, school: TenantDep, request: Request, ctx: ContextDep, session: SessionDep
) -> Any:
    """A pending link and an SMS code for the number (`POST /v1/auth/otp` sends it)."""
    e164 = normalize_field(body.phone, "phone", ctx.settings.default_region)
    try:
        pair = await service.confirm_link(
            session,
            ctx.settings,
            ctx.keys,
            school,
            link_token=body.link_token,
            e164=e164,
            code=body.code,
            device=device_of(request),
        )
    except Unauthorized as exc:
        return _refused(request, exc)
    return await _tokens(session, pair)


@router.get("/v1/me/identities", response_model=IdentityList, tags=["me"])
async def my_identities(
    account: CurrentAccount, session: SessionDep, page: PageDep
) -> IdentityList:
    """The person's linked identities (`?limit=`, `?cursor=`), oldest first."""
    linked = await service.identities(session, account, page)
    return IdentityList(
        items=[
            IdentityOut(
                id=identity.id,
                school=school.slug,
                issuer=identity.issuer,
                linked_by=identity.linked_by,
                linked_at=identity.linked_at,
                last_used_at=identity.last_used_at,
            )
            for identity, school in linked.items
        ],
        next_cursor=linked.next_cursor,
        created_by_provider=linked.created_by_provider,
        provider_account_notice=RGT17_NOTICE if linked.created_by_provider else None,
    )


@router.delete("/v1/me/identities/{identity_id}", status_code=204, tags=["me"])
async def unlink_identity(
    identity_id: uuid.UUID, account: CurrentAccount, session: SessionDep
) -> Response:
    await service.unlink(session, account, identity_id)
    return Response(status_code=204)

"""Sign-in with phone number and SMS code, sign-out, the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from app.accounts import service as accounts_service
from app.accounts.sms import make_sender
from app.core.deps import ContextDep, SessionDep
from app.core.errors import TooMany
from app.core.phones import InvalidPhone, normalize
from app.portal.cookies import LANG_MAX_AGE
from app.portal.deps import FormOfSession, LoginForm
from app.portal.i18n import LANG_COOKIE, LANGUAGES, gettext_for
from app.portal.render import language, page
from app.portal.routing import PortalRoute
from app.portal.session import (
    LOGIN_CSRF_COOKIE,
    clear_session_cookie,
    end_session,
    new_login_csrf,
    secure_cookies,
    set_session_cookie,
    start_session,
)

router = APIRouter(prefix="/portal", route_class=PortalRoute, include_in_schema=False)


def _login_page(request: Request, step: str, status: int = 200, **context: object) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_login_csrf()
    request.state.csrf = token
    response = page(request, "login.html", status=status, step=step, **context)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request, request.app.state.ctx.settings),
        path="/portal",
    )
    return response


@router.get("/login")
async def login_form(request: Request) -> Response:
    return _login_page(request, "phone")


@router.post("/login/code", dependencies=[LoginForm])
async def send_code(
    request: Request, ctx: ContextDep, session: SessionDep, phone: Annotated[str, Form()] = ""
) -> Response:
    _ = gettext_for(language(request))
    try:
        e164 = normalize(phone, ctx.settings.default_region)
    except InvalidPhone:
        errors = {"phone": _("Enter a valid mobile phone number.")}
        return _login_page(request, "phone", 422, phone=phone, errors=errors)
    try:
        sender = make_sender(ctx.settings, ctx.keys)
        ip = request.client.host if request.client else None
        await accounts_service.request_code(
            session, ctx.settings, ctx.keys, sender, e164, client_ip=ip
        )
    except TooMany as exc:
        wait = exc.headers.get("Retry-After", "60")
        errors = {"phone": _("A code was sent recently; wait %(s)s seconds.") % {"s": wait}}
        return _login_page(request, "code", 429, phone=phone, errors=errors)
    return _login_page(request, "code", phone=phone, sent=True)


@router.post("/login", dependencies=[LoginForm])
async def sign_in(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    phone: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
) -> Response:
    _ = gettext_for(language(request))
    try:
        e164 = normalize(phone, ctx.settings.default_region)
    except InvalidPhone:
        errors = {"phone": _("Enter a valid mobile phone number.")}
        return _login_page(request, "phone", 422, phone=phone, errors=errors)
    # A failed try is returned, not raised: it must be committed, or the limit is bypassed.
    ok = await accounts_service.verify_code(session, ctx.settings, ctx.keys, e164, code.strip())
    account = await accounts_service.find_account(session, ctx.keys, e164) if ok else None
    if account is None or account.status != "active":
        errors = {"code": _("The code is wrong, expired or used up.")}
        return _login_page(request, "code", 422, phone=phone, errors=errors)
    token = await start_session(session, ctx.settings, ctx.keys, account)
    response = RedirectResponse("/portal/", status_code=303)
    set_session_cookie(request, response, ctx.settings, token, account.last_login_at)  # type: ignore[arg-type]
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/portal")
    return response


@router.post("/logout")
async def sign_out(signed_in: FormOfSession, session: SessionDep) -> Response:
    await end_session(session, signed_in.refresh_token)
    response = RedirectResponse("/portal/login", status_code=303)
    clear_session_cookie(response)
    return response


@router.get("/lang/{to}")
async def switch_language(request: Request, to: str, next: str = "/portal/") -> Response:
    """Remembered in a cookie; `next` stays inside the portal (no open redirect)."""
    target = next if next.startswith("/portal/") and "//" not in next else "/portal/"
    response = RedirectResponse(target, status_code=303)
    if to in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE,
            to,
            max_age=LANG_MAX_AGE,
            samesite="lax",
            path="/portal",
            secure=secure_cookies(request, request.app.state.ctx.settings),
        )
    return response

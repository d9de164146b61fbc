"""Portal dependencies: the signed-in person (or a 303 to the sign-in page) and CSRF."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from app.core.deps import ContextDep, SessionDep
from app.core.errors import DomainError
from app.portal.session import LOGIN_CSRF_COOKIE, SESSION_COOKIE, PortalSession, read_session
from app.portal.settings import PortalSettings

CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


class SignInRequired(Exception):
    """No live session: the page answers 303 to /portal/login."""


class CsrfRefused(DomainError):
    status, type, title = 403, "csrf", "The form has expired; reload the page and try again"


def portal_settings(request: Request) -> PortalSettings:
    cached = getattr(request.app.state, "portal_settings", None)
    if cached is None:
        cached = request.app.state.portal_settings = PortalSettings()
    return cached


async def current_session(request: Request, ctx: ContextDep, session: SessionDep) -> PortalSession:
    found = await read_session(
        session,
        ctx.settings,
        request.cookies.get(SESSION_COOKIE),
        portal_settings(request).idle_minutes,
    )
    if found is None:
        raise SignInRequired()
    request.state.portal_session = found
    request.state.csrf = found.csrf
    request.state.account_id = found.account.id
    return found


SignedIn = Annotated[PortalSession, Depends(current_session)]


async def _sent_token(request: Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    form = await request.form()
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else ""


async def checked_csrf(request: Request, signed_in: SignedIn) -> PortalSession:
    """Every form of a session carries its token (double-checked against the session)."""
    if not hmac.compare_digest(await _sent_token(request), signed_in.csrf):
        raise CsrfRefused()
    return signed_in


async def checked_login_csrf(request: Request) -> None:
    """Before sign-in: the form's token must equal the one in its cookie (double submit)."""
    expected = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    sent = await _sent_token(request)
    if not expected or not hmac.compare_digest(sent, expected):
        raise CsrfRefused()
    request.state.csrf = expected


FormOfSession = Annotated[PortalSession, Depends(checked_csrf)]
LoginForm = Depends(checked_login_csrf)

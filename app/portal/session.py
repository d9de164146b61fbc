"""The portal's session: a signed, HttpOnly, SameSite=Lax cookie naming a refresh token.

The token row (accounts' `RefreshToken`) is the server-side session: signing out revokes
its family. The cookie carries when it was last used, re-signed on every page, so an idle
session ends after `ROSTRA_PORTAL_IDLE_MINUTES`. The CSRF token is derived from the
session, so every form of the session carries the same unguessable value.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as accounts_repository
from app.accounts import service as accounts_service
from app.accounts.models import Account
from app.core import clock
from app.core.config import Settings
from app.core.security import Keys, derive_key, keyed_hash, random_token, sha256_hex

SESSION_COOKIE = "rostra_session"
LOGIN_CSRF_COOKIE = "rostra_login_csrf"
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class PortalSession:
    account: Account
    refresh_token: str
    csrf: str


def _signature(settings: Settings, token: str, seen: int) -> str:
    return keyed_hash(derive_key(settings.secret_key, "portal-session"), f"{token}.{seen}")


def csrf_for(settings: Settings, token: str) -> str:
    return keyed_hash(derive_key(settings.secret_key, "portal-csrf"), sha256_hex(token))


def cookie_value(settings: Settings, token: str, now: datetime) -> str:
    seen = int(now.timestamp())
    return f"{token}.{seen}.{_signature(settings, token, seen)}"


def secure_cookies(request: Request, settings: Settings) -> bool:
    """Secure everywhere but plain-http development on this machine."""
    if settings.env == "production" or request.url.scheme == "https":
        return True
    return (request.url.hostname or "") not in LOOPBACK


def set_session_cookie(
    request: Request, response: Response, settings: Settings, token: str, now: datetime
) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        cookie_value(settings, token, now),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request, settings),
        path="/portal",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/portal")


async def read_session(
    session: AsyncSession, settings: Settings, raw: str | None, idle_minutes: int
) -> PortalSession | None:
    """The signed-in person, or None: bad signature, idle too long, signed out, or blocked."""
    if not raw or raw.count(".") != 2:
        return None
    token, seen_text, signature = raw.split(".")
    if not seen_text.isdigit():
        return None
    if not hmac.compare_digest(signature, _signature(settings, token, int(seen_text))):
        return None
    now = clock.now()
    if now.timestamp() - int(seen_text) > idle_minutes * 60:
        return None
    stored = await accounts_repository.refresh_token_by_hash(session, sha256_hex(token))
    if stored is None or stored.revoked_at is not None or stored.used_at is not None:
        return None
    if stored.expires_at <= now:
        return None
    account = await accounts_repository.account_by_id(session, stored.account_id)
    if account is None or account.status != "active":
        return None
    return PortalSession(account=account, refresh_token=token, csrf=csrf_for(settings, token))


async def start_session(
    session: AsyncSession, settings: Settings, keys: Keys, account: Account
) -> str:
    """A new server-side session (a refresh-token family of its own) for a signed-in person."""
    account.last_login_at = clock.now()
    # The access token is not needed: portal pages call the services directly.
    pair = await accounts_service.issue_tokens(session, settings, keys, account)
    return pair.refresh_token


async def end_session(session: AsyncSession, token: str) -> None:
    await accounts_service.revoke(session, token)


def new_login_csrf() -> str:
    return random_token(24)

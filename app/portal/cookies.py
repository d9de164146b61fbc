"""The cookie page (CKE-1): every cookie the portal sets, its purpose, lifetime and flags.

This list is the policy. The portal sets no cookie that is not on it (CKE-4), and the API
sets none; tests/portal/test_portal_cookies.py walks a sign-in and compares.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request, Response

from app.portal.deps import portal_settings
from app.portal.i18n import LANG_COOKIE
from app.portal.render import page
from app.portal.routing import PortalRoute
from app.portal.session import LOGIN_CSRF_COOKIE, SESSION_COOKIE

router = APIRouter(prefix="/portal", route_class=PortalRoute, include_in_schema=False)
LANG_MAX_AGE = 365 * 24 * 3600  # a year: the language chosen is remembered


@dataclass(frozen=True, slots=True)
class PortalCookie:
    name: str
    purpose: str  # a message of the catalogue
    lifetime: str  # a message of the catalogue; may name %(minutes)s
    http_only: bool

    def flags(self) -> list[str]:
        """As sent (Secure everywhere but plain-http development on this machine)."""
        return [*(["HttpOnly"] if self.http_only else []), "Secure", "SameSite=Lax", "Path=/portal"]


COOKIES = (
    PortalCookie(
        LOGIN_CSRF_COOKIE,
        "Protects the sign-in form against forged requests: a random value the form repeats.",
        "Until you sign in or close the browser.",
        http_only=True,
    ),
    PortalCookie(
        SESSION_COOKIE,
        "Keeps you signed in: a signed reference to your session, never your phone number.",
        "Until you sign out or close the browser; unused for %(minutes)s minutes, it ends.",
        http_only=True,
    ),
    PortalCookie(
        LANG_COOKIE,
        "Remembers the language you chose (中文 or English).",
        "One year, or until you choose again.",
        http_only=False,
    ),
)


@router.get("/cookies")
async def cookie_policy(request: Request) -> Response:
    """Public: readable before sign-in, linked from every page's footer."""
    minutes = portal_settings(request).idle_minutes
    return page(request, "cookies.html", cookies=COOKIES, minutes=minutes)

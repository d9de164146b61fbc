"""Every portal route answers in HTML: the language is chosen first, a missing session is a
303 to the sign-in page, a domain error is an error page in the person's language, and an
unexpected error is a 500 page naming the request id (no stack trace)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from app.core import clock
from app.core.errors import DomainError
from app.core.logging import log
from app.portal.deps import SignInRequired
from app.portal.i18n import LANG_COOKIE, choose_language
from app.portal.render import page
from app.portal.session import SESSION_COOKIE, set_session_cookie

LOGIN_PATH = "/portal/login"


def error_page(request: Request, status: int, detail: str | None = None) -> Response:
    return page(request, "error.html", status=status, status_code=status, detail=detail)


class PortalRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def portal_handler(request: Request) -> Response:
            request.state.portal_lang = choose_language(
                request.cookies.get(LANG_COOKIE), request.headers.get("accept-language")
            )
            try:
                response = await handler(request)
            except SignInRequired:
                response = RedirectResponse(LOGIN_PATH, status_code=303)
                response.delete_cookie(SESSION_COOKIE, path="/portal")
                return response
            except DomainError as exc:
                return error_page(request, exc.status, exc.detail)
            except RequestValidationError:
                return error_page(request, 422)
            except Exception as exc:  # the person sees the request id, the log the rest
                log.exception("portal.unhandled", error=repr(exc))
                return error_page(request, 500)
            _slide_session(request, response)
            return response

        return portal_handler


def _slide_session(request: Request, response: Response) -> None:
    """A page seen re-signs the cookie's last-use time (the idle timeout restarts)."""
    live = getattr(request.state, "portal_session", None)
    if live is None or any(
        k == b"set-cookie" and SESSION_COOKIE.encode() in v for k, v in response.raw_headers
    ):
        return
    settings = request.app.state.ctx.settings
    set_session_cookie(request, response, settings, live.refresh_token, clock.now())

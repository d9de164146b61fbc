"""Request id on every request (logs, `X-Request-ID`); control characters kept out of URLs."""

from __future__ import annotations

import re
import time
import uuid
from urllib.parse import parse_qsl

import structlog
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import problem
from app.core.fields import control_character_problem
from app.core.logging import log

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "request",
                method=scope.get("method"),
                path=scope.get("path"),
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 1),
            )
            structlog.contextvars.unbind_contextvars("request_id")


# Set on every answer unless the route chose its own (downloads send a stricter CSP).
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"referrer-policy", b"no-referrer"),
)


def add_security_headers(response: Response) -> Response:
    """For answers made outside the middleware stack: the outermost 500 handler runs in
    Starlette's ServerErrorMiddleware, which no middleware added to the app wraps."""
    for name, value in SECURITY_HEADERS:
        response.headers.setdefault(name.decode(), value.decode())
    return response


class SecurityHeadersMiddleware:
    """No sniffing, no framing, no referrer: for every API answer, errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ControlCharacterGuard:
    """422 naming the parameter when a query value (or the path) holds a control character.

    One check for every route's query parameters, before any handler or database sees them.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            found = _url_problem(scope)
            if found is not None:
                field, message = found
                response = problem(
                    422, "validation", "Invalid input", f"{field}: {message}", scope["path"],
                    field=field, errors=[{"field": field, "message": message}],
                )  # fmt: skip
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _url_problem(scope: Scope) -> tuple[str, str] | None:
    path_problem = control_character_problem(scope["path"])  # already percent-decoded
    if path_problem is not None:
        return "path", path_problem
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        message = control_character_problem(name) or control_character_problem(value)
        if message is not None:
            return name, message
    return None

"""Request bodies capped while they stream in: one mechanism, a limit per route.

A declared `Content-Length` over the route's limit is refused before a byte is read; a
chunked (or lying) body is counted as it arrives and cut off at the limit. Either way the
answer is 413 problem+json naming the limit, and the app never holds more than the limit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import PROBLEM, TYPE_BASE, PayloadTooLarge


@dataclass(frozen=True, slots=True)
class BodyLimit:
    """Bodies of requests whose path matches `pattern` (a full match) are at most `max_bytes`."""

    pattern: str
    max_bytes: int

    def matches(self, path: str) -> bool:
        return re.fullmatch(self.pattern, path) is not None


class BodyTooLarge(PayloadTooLarge):
    """Raised into the app from `receive` once the body passes its route's limit."""


class BodyLimitMiddleware:
    """`app.add_middleware(BodyLimitMiddleware, limits=[...], default_max_bytes=...)`."""

    def __init__(
        self, app: ASGIApp, *, limits: Sequence[BodyLimit], default_max_bytes: int
    ) -> None:
        self.app = app
        self.limits = tuple(limits)
        self.default_max_bytes = default_max_bytes

    def limit_for(self, path: str) -> int:
        return next((r.max_bytes for r in self.limits if r.matches(path)), self.default_max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, send, limit)
            return
        guard = _Guard(receive, send, limit)
        try:
            await self.app(scope, guard.receive, guard.send)
        except Exception:
            if not guard.exceeded or guard.started:
                raise
        if guard.exceeded and not guard.started:
            await _refuse(scope, send, limit)


class _Guard:
    """Counts the body as the app reads it; past the limit, the app's answer is replaced."""

    def __init__(self, receive: Receive, send: Send, limit: int) -> None:
        self._receive, self._send, self.limit = receive, send, limit
        self.received = 0
        self.exceeded = self.started = False

    async def receive(self) -> Message:
        if self.exceeded:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                self.exceeded = True
                raise BodyTooLarge(_detail(self.limit), max_bytes=self.limit)
        return message

    async def send(self, message: Message) -> None:
        if self.exceeded and not self.started:
            return  # whatever the app answers to the cut-off body, the 413 replaces it
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _detail(limit: int) -> str:
    return f"the request body is larger than the limit of {limit} bytes for this route"


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    body = orjson.dumps(
        {
            "type": TYPE_BASE + PayloadTooLarge.type,
            "title": PayloadTooLarge.title,
            "status": 413,
            "detail": _detail(limit),
            "instance": scope.get("path", ""),
            "field": "body",
            "max_bytes": limit,
        }
    )
    headers = [
        (b"content-type", PROBLEM.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})

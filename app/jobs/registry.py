"""Named job handlers. Domains register theirs at import time; workers run them by name."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from app.core.context import ServiceContext

Handler = Callable[[ServiceContext, dict[str, Any]], Awaitable[None]]
_HANDLERS: dict[str, Handler] = {}
_PERIODIC: dict[str, str] = {}  # handler name -> cron schedule (procrastinate's syntax)


def job(name: str) -> Callable[[Handler], Handler]:
    """Register `handler` under `name`. A handler must be idempotent: a killed run is redone."""

    def register(handler: Handler) -> Handler:
        _HANDLERS[name] = handler
        return handler

    return register


def handlers() -> dict[str, Handler]:
    return dict(_HANDLERS)


def handler(name: str) -> Handler:
    try:
        return _HANDLERS[name]
    except KeyError:
        raise LookupError(f"no job handler named {name!r} is registered") from None


def periodic(name: str, cron: str) -> None:
    """Run the handler `name` on a schedule: procrastinate's periodic task on PostgreSQL,
    a job queued once per period by the SQLite worker. Only daily (`M H * * *`) crons are
    understood by the SQLite worker."""
    _PERIODIC[name] = cron


def schedules() -> dict[str, str]:
    return dict(_PERIODIC)

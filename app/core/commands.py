"""What the `rostra` commands share: running async work against the database as its owner."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from app.core.config import get_settings
from app.core.db import Database

T = TypeVar("T")


def run_as_owner(work: Callable[[Database], Awaitable[T]]) -> T:
    """Run `work` with a database of the schema owner (the CLI's role), disposed afterwards."""
    settings = get_settings()

    async def _go() -> T:
        db = Database(settings, settings.owner_database_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(_go())

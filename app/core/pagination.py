"""Keyset pagination: `{items, next_cursor}`, `?limit=` 1–500 (default 50), stable order."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from app.core.errors import Invalid
from app.core.fields import in_api_range
from app.core.ids import parse_id

T = TypeVar("T")
R = TypeVar("R")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list[Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        raise _forged() from None
    if not isinstance(values, list):
        raise _forged()
    return values


class PageParams(BaseModel):
    limit: int
    cursor: list[Any] | None

    def after_id(self) -> uuid.UUID | None:
        """The id a one-key cursor carries (None on the first page); 422 if it carries none."""
        if not self.cursor:
            return None
        found = parse_id(str(self.cursor[0]))
        if found is None:
            raise _forged()
        return found

    def after_time_id(self) -> tuple[datetime, uuid.UUID] | None:
        """The (time, id) a two-key cursor carries (None on the first page); 422 otherwise."""
        if not self.cursor:
            return None
        if len(self.cursor) != 2:
            raise _forged()
        try:
            at = datetime.fromisoformat(str(self.cursor[0]))
        except ValueError:
            raise _forged() from None
        last = parse_id(str(self.cursor[1]))
        if last is None or not in_api_range(at):
            raise _forged()
        return at, last

    @property
    def fetch(self) -> int:
        """How many rows to ask the database for: one more than a page tells if more follow."""
        return self.limit + 1


def _forged() -> Invalid:
    return Invalid("cursor", "not a cursor this API issued")


def paginate(
    rows: Sequence[R], limit: int, cursor_of: Callable[[R], Sequence[Any]]
) -> tuple[list[R], str | None]:
    """Rows fetched with `PageParams.fetch` -> (this page, next_cursor or None).

    `cursor_of(last_row)` gives the keys the next page starts after, in the query's order.
    """
    page = list(rows[:limit])
    more = len(rows) > limit and bool(page)
    return page, encode_cursor(list(cursor_of(page[-1]))) if more else None


async def page_params(
    limit: Annotated[int, Query(ge=1, le=500, description="page size, 1–500")] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=decode_cursor(cursor))

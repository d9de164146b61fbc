"""Keyset pagination: `{items, next_cursor}`, `?limit=` 1–500 (default 50), stable order."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from app.core.errors import Invalid
from app.core.ids import parse_id

T = TypeVar("T")


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
        raise Invalid("cursor", "not a cursor this API issued") from None
    if not isinstance(values, list):
        raise Invalid("cursor", "not a cursor this API issued")
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
            raise Invalid("cursor", "not a cursor this API issued")
        return found


def page_params(
    limit: Annotated[int, Query(ge=1, le=500, description="page size, 1–500")] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=decode_cursor(cursor))

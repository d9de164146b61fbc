"""Field types every request shape shares: times in a sane range, text without control bytes.

A value outside these answers 422 naming the field, on both databases, before any code or
driver sees it (an out-of-range time overflows on conversion; NUL is refused by PostgreSQL).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
_RANGE = "between 2000-01-01 and 2100-01-01 (UTC)"


def in_api_range(value: datetime) -> bool:
    """True for an aware time in [2000-01-01, 2100-01-01) UTC; never raises."""
    if value.tzinfo is None or value.utcoffset() is None:
        return False
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError):  # year 1 at +14:00, year 9999 at -14:00
        return False
    return EARLIEST <= utc < LATEST


def _datetime_in_range(value: datetime) -> datetime:
    if not in_api_range(value):
        raise PydanticCustomError("datetime_range", f"Input should be a date-time {_RANGE}")
    return value


def _date_in_range(value: date) -> date:
    if not EARLIEST.date() <= value < LATEST.date():
        raise PydanticCustomError("date_range", "Input should be a date between 2000 and 2099")
    return value


# Every time a client sends (bodies and query filters): timezone-aware and in range.
ApiDateTime = Annotated[AwareDatetime, AfterValidator(_datetime_in_range)]
ApiDate = Annotated[date, AfterValidator(_date_in_range)]


# C0 controls, DEL and lone surrogates (JSON can carry them; PostgreSQL cannot store them).
_CONTROL_IN_LINE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def control_character_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` may not be stored (a control character), or None when it may."""
    found = (_CONTROL_IN_TEXT if multiline else _CONTROL_IN_LINE).search(value)
    if found is None:
        return None
    allowed = " other than tab and newline" if multiline else ""
    return f"Input should not contain control characters{allowed} (found U+{ord(found[0]):04X})"


def _first_problem(value: Any, multiline: bool) -> str | None:
    if isinstance(value, str):
        return control_character_problem(value, multiline=multiline)
    if isinstance(value, list | tuple | set | frozenset):
        items: Any = value
    elif isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    else:
        return None  # numbers, times, ids, nested models (which check themselves)
    return next((p for item in items if (p := _first_problem(item, multiline))), None)


class ApiInput(BaseModel):
    """Base of every request body: no text field may carry control characters (422 naming it).

    Fields listed in `multiline` may hold tab, newline and carriage return.
    """

    multiline: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any, info: ValidationInfo) -> Any:
        problem = _first_problem(value, info.field_name in cls.multiline)
        if problem is not None:
            raise PydanticCustomError("control_character", problem)
        return value

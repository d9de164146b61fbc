"""Form errors shown next to their field, in the person's language.

A form posts to a portal route that calls the same service as the API; a refusal (the
API's 422 problem) becomes `{field: message}` for the template, each message translated:
the domain's English sentence when the catalogue has it, else a sentence for the kind of
validation error (required, too long, not a date...), else the English as it came.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import DomainError
from app.portal.i18n import Gettext, gettext_for
from app.portal.render import language

FieldErrors = dict[str, str]
BEIJING = timezone(timedelta(hours=8))  # the forms say "Beijing time"

# pydantic's error types, by the start of their name, to one sentence each.
KINDS = (
    ("missing", "This field is required."),
    ("string_too_short", "This field is required."),
    ("string_too_long", "This is too long."),
    ("too_long", "Too many values."),
    ("too_short", "Choose at least one."),
    ("literal_error", "Choose one of the options."),
    ("enum", "Choose one of the options."),
    ("datetime", "Enter a date and time."),
    ("date", "Enter a date (YYYY-MM-DD)."),
    ("int", "Enter a whole number."),
    ("greater_than", "The number is too small."),
    ("less_than", "The number is too large."),
    ("uuid", "Choose one of the options."),
)


def local_datetime(raw: str) -> datetime | None:
    """A `datetime-local` or date input (Beijing time, unless it names its offset)."""
    try:
        parsed = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=BEIJING)


def field_name(location: object) -> str:
    """`consent.given_by` (a problem's field) -> `consent_given_by` (the form's input)."""
    return str(location).replace(".", "_") or "form"


def _kind_message(kind: str) -> str | None:
    return next((sentence for start, sentence in KINDS if kind.startswith(start)), None)


def from_validation(exc: ValidationError, _: Gettext) -> FieldErrors:
    errors: FieldErrors = {}
    for e in exc.errors():
        loc = [str(p) for p in e.get("loc", ()) if not isinstance(p, int)]
        name = field_name(".".join(loc))
        sentence = _kind_message(str(e.get("type", "")))
        message = str(e.get("msg", "invalid")).removeprefix("Value error, ")
        errors.setdefault(name, _(sentence) if sentence else _(message))
    return errors


def from_problem(exc: DomainError, _: Gettext) -> FieldErrors:
    listed = exc.extra.get("errors")
    if isinstance(listed, list) and listed:
        errors: FieldErrors = {}
        for e in listed:
            if isinstance(e, dict) and "field" in e:
                errors.setdefault(field_name(e["field"]), _(str(e.get("message", exc.detail))))
        if errors:
            return errors
    return {field_name(exc.extra.get("field", "form")): _(exc.detail)}


async def refused(
    request: Request, session: AsyncSession, work: Callable[[], Awaitable[Any]]
) -> FieldErrors:
    """Runs `work` in a savepoint: {} when it went through, else {field: message} in the
    person's language (and nothing of it written)."""
    _ = gettext_for(language(request))
    try:
        async with session.begin_nested():
            await work()
    except DomainError as exc:
        if exc.status != 422 and exc.status != 409:
            raise
        return from_problem(exc, _)
    except ValidationError as exc:
        return from_validation(exc, _)
    return {}

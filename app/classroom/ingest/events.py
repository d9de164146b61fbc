"""Validation of a batch of raw events: all problems found at once, nothing stored yet.

Pure code: no database, no HTTP. Raw dicts become `ValidEvent`s plus one `EventError` per
problem found (`validate_batch`).
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from app.classroom.kinds import KINDS, MAX_ID_LENGTH, KindSpec, NoFields
from app.classroom.netaddr import ip_keyed_hash, truncate_ip
from app.core.fields import control_character_problem, in_api_range
from app.core.vocabulary import ConsentCategory, RecordKind

MAX_CLIENT_ID_LENGTH = 128
MAX_PHONE_LENGTH = 32

ENVELOPE_FIELDS = frozenset({"id", "lesson", "user", "phone", "at", "kind"})
# The timezone is optional here only so that a naive time gets its own error.
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?P<zone>[Zz]|[+-]\d{2}:\d{2})?",
    re.ASCII,
)

_MISSING: Any = object()
_REQUIRED = "Field required"
_NOT_A_STRING = "Input should be a valid string"


@dataclass(frozen=True, slots=True)
class EventError:
    index: int  # position of the event in the batch
    field: str  # dotted path; "event" when the event as a whole is wrong
    reason: str


@dataclass(slots=True)
class ValidEvent:
    index: int
    client_id: str
    lesson_id: str
    user_id: str | None
    phone: str | None
    at: datetime  # aware, UTC
    kind: str
    record_kind: RecordKind
    consent_category: ConsentCategory | None
    data: dict[str, Any]  # kind-specific fields as sent; never the client IP
    ip_prefix: str | None = None  # diagnostics only: the client's /24 (IPv4) or /48 (IPv6)
    ip_hash: str | None = None  # diagnostics only: keyed hash of the full address


def _check_text(
    event: dict[str, Any], name: str, max_length: int, index: int, errors: list[EventError]
) -> str | None:
    value = event.get(name, _MISSING)
    if not isinstance(value, str):
        errors.append(EventError(index, name, _REQUIRED if value is _MISSING else _NOT_A_STRING))
        return None
    if not value:
        errors.append(EventError(index, name, "String should have at least 1 character"))
        return None
    if len(value) > max_length:
        errors.append(
            EventError(index, name, f"String should have at most {max_length} characters")
        )
        return None
    problem = control_character_problem(value)
    if problem is not None:
        errors.append(EventError(index, name, problem))
        return None
    return value


def _parse_at(value: Any) -> datetime | str:
    """The time as an aware UTC datetime, or the reason it is not one."""
    if not isinstance(value, str):
        return _REQUIRED if value is _MISSING else "Input should be an RFC 3339 date-time string"
    match = _RFC3339.fullmatch(value)
    if match is None:
        return "Input should be an RFC 3339 date-time string"
    if match["zone"] is None:
        return "Input should have timezone info"
    try:
        parsed = datetime.fromisoformat(value.upper())
    except ValueError:
        return "Input should be a valid date-time"
    if not in_api_range(parsed):
        return "Input should be a date-time between 2000-01-01 and 2100-01-01 (UTC)"
    return parsed.astimezone(UTC)


def _participant(
    event: dict[str, Any], index: int, errors: list[EventError]
) -> tuple[str | None, str | None]:
    has_user, has_phone = "user" in event, "phone" in event
    if has_user == has_phone:
        errors.append(EventError(index, "user", "Give exactly one of user or phone"))
        return None, None
    if has_user:
        return _check_text(event, "user", MAX_ID_LENGTH, index, errors), None
    return None, _check_text(event, "phone", MAX_PHONE_LENGTH, index, errors)


def validate_batch(
    raw: list[dict[str, Any]], *, ip_hash_key: bytes
) -> tuple[list[ValidEvent], list[EventError]]:
    """Check every event; return the valid ones and every problem with the others."""
    if not ip_hash_key:
        raise ValueError("ip_hash_key must not be empty")
    valid: list[ValidEvent] = []
    errors: list[EventError] = []
    for index, event in enumerate(raw):
        if not isinstance(event, dict):
            errors.append(EventError(index, "event", "Input should be a JSON object"))
            continue
        checked = _validate_one(event, index, errors, ip_hash_key)
        if checked is not None:
            valid.append(checked)
    return valid, errors


def _validate_one(
    event: dict[str, Any], index: int, errors: list[EventError], ip_hash_key: bytes
) -> ValidEvent | None:
    """The event checked envelope first, then its kind's fields; None if anything is wrong."""
    client_id = _check_text(event, "id", MAX_CLIENT_ID_LENGTH, index, errors)
    lesson_id = _check_text(event, "lesson", MAX_ID_LENGTH, index, errors)
    user_id, phone = _participant(event, index, errors)
    at = _parse_at(event.get("at", _MISSING))
    if isinstance(at, str):
        errors.append(EventError(index, "at", at))
    spec = _spec(event.get("kind", _MISSING), index, errors)
    if spec is None:
        return None
    data = _kind_fields(event, spec, index, errors)
    if data is None or client_id is None or lesson_id is None or isinstance(at, str):
        return None
    if user_id is None and phone is None:
        return None
    ip = data.pop("ip", None)
    return ValidEvent(
        index=index,
        client_id=client_id,
        lesson_id=lesson_id,
        user_id=user_id,
        phone=phone,
        at=at,
        kind=spec.name,
        record_kind=spec.record_kind,
        consent_category=spec.consent_category,
        data=data,
        ip_prefix=None if ip is None else truncate_ip(ip),
        ip_hash=None if ip is None else ip_keyed_hash(ip, ip_hash_key),
    )


def _spec(kind: Any, index: int, errors: list[EventError]) -> KindSpec | None:
    spec = KINDS.get(kind) if isinstance(kind, str) else None
    if spec is not None:
        return spec
    if kind is _MISSING:
        errors.append(EventError(index, "kind", _REQUIRED))
    elif isinstance(kind, str):
        errors.append(EventError(index, "kind", f"Unknown event kind: {kind[:64]!r}"))
    else:
        errors.append(EventError(index, "kind", _NOT_A_STRING))
    return None


def _kind_fields(
    event: dict[str, Any], spec: KindSpec, index: int, errors: list[EventError]
) -> dict[str, Any] | None:
    """The kind-specific fields as sent (validated), or None after recording their errors."""
    extra = {name: value for name, value in event.items() if name not in ENVELOPE_FIELDS}
    # Most kinds carry no fields; skipping their (empty) model keeps ingestion fast.
    if not extra and spec.model is NoFields:
        return {}
    try:
        fields = spec.model.model_validate(extra)
    except ValidationError as exc:
        for error in exc.errors(include_url=False, include_context=False):
            path = ".".join(str(part) for part in error["loc"]) or "event"
            errors.append(EventError(index, path, error["msg"]))
        return None
    # Every key in `extra` is a declared field (extra="forbid"): keep the client's order.
    return {name: getattr(fields, name) for name in extra}

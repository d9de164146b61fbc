"""Classroom event contract: the kinds a client may send, and validation of a batch of them.

Pure code: no database, no HTTP. A batch body becomes raw dicts (`parse_batch_body`), and
raw dicts become `ValidEvent`s plus one `EventError` per problem found (`validate_batch`).
"""

import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

import orjson
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from app.classroom.netaddr import ip_keyed_hash, parse_ip, truncate_ip

MAX_BATCH_EVENTS = 5000
MAX_BODY_BYTES = 64 * 1024 * 1024
MAX_CLIENT_ID_LENGTH = 128
MAX_ID_LENGTH = 128
MAX_PHONE_LENGTH = 32
MAX_SPEAKING_MS = 6 * 60 * 60 * 1000


class LeaveReason(StrEnum):
    """Why a participant left a lesson (CLS-16)."""

    LEFT = "left"
    REMOVED = "removed"
    NETWORK_LOST = "network_lost"
    LESSON_ENDED = "lesson_ended"
    DUPLICATE_LOGIN = "duplicate_login"
    OTHER = "other"


class RecordKind(StrEnum):
    """The kind of classroom record an event becomes; access is granted per record kind."""

    ATTENDANCE = "attendance"
    BEHAVIOUR = "behaviour"
    TOOL_USE = "tool_use"
    TEACHER_ACTION = "teacher_action"
    COURSEWARE_USE = "courseware_use"
    DIAGNOSTICS = "diagnostics"


class ConsentCategory(StrEnum):
    """Consent an event needs beyond the classroom itself (CLS-2, CLS-3, CLS-5, CLS-18)."""

    CAMERA = "camera"
    MICROPHONE = "microphone"
    RECORDING = "recording"
    DIAGNOSTICS = "diagnostics"


# --- Kind-specific fields -------------------------------------------------------------------

AccountId = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH)]
ShortText = Annotated[str, Field(max_length=256)]


def _check_ip(value: str) -> str:
    try:
        return str(parse_ip(value))
    except ValueError:
        raise PydanticCustomError(
            "ip_address", "Input should be a valid IPv4 or IPv6 address"
        ) from None


class KindFields(BaseModel):
    """Base of every kind's fields: strict JSON types, nothing unknown."""

    model_config = ConfigDict(
        extra="forbid", strict=True, frozen=True, allow_inf_nan=False, use_enum_values=True
    )


class NoFields(KindFields):
    pass


class StageCount(KindFields):
    count: Annotated[int, Field(ge=0)]


class AttendanceLeft(KindFields):
    # strict=False: a JSON string is how an enum arrives.
    reason: Annotated[LeaveReason, Field(strict=False)]


class Spoke(KindFields):
    duration_ms: Annotated[int, Field(ge=0, le=MAX_SPEAKING_MS)]


class Rewarded(KindFields):
    count: Annotated[int, Field(ge=1)]


class Buzzer(KindFields):
    result: Literal["first", "answered"] | None = None


class Answerer(KindFields):
    question: Annotated[str, Field(max_length=2000)]
    choice: ShortText
    correct: bool


class Timer(KindFields):
    seconds: Annotated[int, Field(ge=0)] | None = None


class ScreenShare(KindFields):
    state: Literal["on", "off"] | None = None


class TeacherTarget(KindFields):
    target: AccountId | None = None  # None: the whole class


class TeacherRewarded(KindFields):
    target: AccountId | None = None
    count: Annotated[int, Field(ge=1)] | None = None


class CoursewareOpened(KindFields):
    courseware: ShortText


class CoursewarePage(KindFields):
    courseware: ShortText
    page: Annotated[int, Field(ge=1)]


class DiagnosticsSample(KindFields):
    ip: Annotated[str, AfterValidator(_check_ip)] | None = None
    latency_ms: Annotated[float, Field(ge=0)] | None = None
    packet_loss: Annotated[float, Field(ge=0, le=1)] | None = None
    os: ShortText | None = None
    device_type: ShortText | None = None
    cpu: ShortText | None = None
    client_version: ShortText | None = None
    device_id: ShortText | None = None
    user_gateway: ShortText | None = None
    access_gateway: ShortText | None = None
    camera: ShortText | None = None
    microphone: ShortText | None = None
    speaker: ShortText | None = None

    @model_validator(mode="after")
    def _has_a_measurement(self) -> "DiagnosticsSample":
        if all(value is None for value in self.__dict__.values()):
            raise PydanticCustomError(
                "empty_sample", "A diagnostics sample needs at least one measurement"
            )
        return self


# --- Registry -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KindSpec:
    name: str
    record_kind: RecordKind
    consent_category: ConsentCategory | None  # None: covered by the classroom record itself
    model: type[KindFields] = NoFields


_ATTENDANCE = RecordKind.ATTENDANCE
_BEHAVIOUR = RecordKind.BEHAVIOUR
_TOOL = RecordKind.TOOL_USE
_TEACHER = RecordKind.TEACHER_ACTION
_COURSEWARE = RecordKind.COURSEWARE_USE
_CAMERA = ConsentCategory.CAMERA
_MICROPHONE = ConsentCategory.MICROPHONE
_RECORDING = ConsentCategory.RECORDING

KINDS: dict[str, KindSpec] = {
    spec.name: spec
    for spec in (
        KindSpec("lesson.started", _ATTENDANCE, None),
        KindSpec("lesson.ended", _ATTENDANCE, None),
        KindSpec("lesson.stage_count", _ATTENDANCE, None, StageCount),
        KindSpec("recording.started", _ATTENDANCE, _RECORDING),
        KindSpec("recording.stopped", _ATTENDANCE, _RECORDING),
        KindSpec("attendance.joined", _ATTENDANCE, None),
        KindSpec("attendance.left", _ATTENDANCE, None, AttendanceLeft),
        KindSpec("behaviour.spoke", _BEHAVIOUR, _MICROPHONE, Spoke),
        KindSpec("behaviour.camera_on", _BEHAVIOUR, _CAMERA),
        KindSpec("behaviour.camera_off", _BEHAVIOUR, _CAMERA),
        KindSpec("behaviour.mic_on", _BEHAVIOUR, _MICROPHONE),
        KindSpec("behaviour.mic_off", _BEHAVIOUR, _MICROPHONE),
        KindSpec("behaviour.stage_up", _BEHAVIOUR, None),
        KindSpec("behaviour.stage_down", _BEHAVIOUR, None),
        KindSpec("behaviour.removed", _BEHAVIOUR, None),
        KindSpec("behaviour.rewarded", _BEHAVIOUR, None, Rewarded),
        KindSpec("behaviour.hand_raised", _BEHAVIOUR, None),
        KindSpec("behaviour.hand_lowered", _BEHAVIOUR, None),
        KindSpec("tool.authorized", _TOOL, None),
        KindSpec("tool.buzzer", _TOOL, None, Buzzer),
        KindSpec("tool.answerer", _TOOL, None, Answerer),
        KindSpec("tool.timer", _TOOL, None, Timer),
        KindSpec("tool.wheel", _TOOL, None),
        KindSpec("tool.screen_share", _TOOL, None, ScreenShare),
        KindSpec("tool.whiteboard", _TOOL, None),
        KindSpec("teacher.muted", _TEACHER, None, TeacherTarget),
        KindSpec("teacher.rewarded", _TEACHER, None, TeacherRewarded),
        KindSpec("teacher.hand_handled", _TEACHER, None, TeacherTarget),
        KindSpec("teacher.authorized", _TEACHER, None, TeacherTarget),
        KindSpec("courseware.opened", _COURSEWARE, None, CoursewareOpened),
        KindSpec("courseware.page", _COURSEWARE, None, CoursewarePage),
        KindSpec(
            "diagnostics.sample",
            RecordKind.DIAGNOSTICS,
            ConsentCategory.DIAGNOSTICS,
            DiagnosticsSample,
        ),
    )
}
KIND_NAMES: tuple[str, ...] = tuple(KINDS)


# --- Validation -----------------------------------------------------------------------------

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
        return datetime.fromisoformat(value.upper()).astimezone(UTC)
    except ValueError:
        return "Input should be a valid date-time"


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
        client_id = _check_text(event, "id", MAX_CLIENT_ID_LENGTH, index, errors)
        lesson_id = _check_text(event, "lesson", MAX_ID_LENGTH, index, errors)
        user_id, phone = _participant(event, index, errors)
        at = _parse_at(event.get("at", _MISSING))
        if isinstance(at, str):
            errors.append(EventError(index, "at", at))
        kind = event.get("kind", _MISSING)
        spec = KINDS.get(kind) if isinstance(kind, str) else None
        if spec is None:
            if kind is _MISSING:
                errors.append(EventError(index, "kind", _REQUIRED))
            elif isinstance(kind, str):
                errors.append(EventError(index, "kind", f"Unknown event kind: {kind[:64]!r}"))
            else:
                errors.append(EventError(index, "kind", _NOT_A_STRING))
            continue
        extra = {name: value for name, value in event.items() if name not in ENVELOPE_FIELDS}
        # Most kinds carry no fields; skipping their (empty) model keeps ingestion fast.
        if extra or spec.model is not NoFields:
            try:
                fields = spec.model.model_validate(extra)
            except ValidationError as exc:
                for error in exc.errors(include_url=False, include_context=False):
                    path = ".".join(str(part) for part in error["loc"]) or "event"
                    errors.append(EventError(index, path, error["msg"]))
                continue
            # Every key in `extra` is a declared field (extra="forbid"): keep the client's order.
            data = {name: getattr(fields, name) for name in extra}
        else:
            data = {}
        if client_id is None or lesson_id is None or isinstance(at, str):
            continue
        if user_id is None and phone is None:
            continue
        ip = data.pop("ip", None)
        valid.append(
            ValidEvent(
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
        )
    return valid, errors


# --- Batch bodies ---------------------------------------------------------------------------


class BatchBodyError(ValueError):
    """The body is not a batch of events; nothing in it is taken."""

    def __init__(self, field: str, reason: str, status_code: int = 422) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.status_code = status_code


_JSON = "application/json"
_NDJSON = "application/x-ndjson"


def parse_batch_body(
    body: bytes,
    content_type: str,
    content_encoding: str | None,
    max_events: int = MAX_BATCH_EVENTS,
    *,
    max_bytes: int = MAX_BODY_BYTES,
) -> list[dict[str, Any]]:
    """Raw events from a JSON ``{"events": [...]}`` or NDJSON body, gzip-encoded or not."""
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type not in (_JSON, _NDJSON):
        raise BatchBodyError(
            "Content-Type", f"Content-Type should be {_JSON} or {_NDJSON}", status_code=415
        )
    if len(body) > max_bytes:
        raise BatchBodyError("body", f"body should be at most {max_bytes} bytes", status_code=413)
    encoding = (content_encoding or "identity").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        body = _gunzip(body, max_bytes)
    elif encoding != "identity":
        raise BatchBodyError(
            "Content-Encoding", "Content-Encoding should be gzip or absent", status_code=415
        )
    if media_type == _NDJSON:
        events = _ndjson_events(body, max_events)
    else:
        events = _json_events(body, max_events)
    for position, event in enumerate(events):
        if not isinstance(event, dict):
            raise BatchBodyError(f"events.{position}", "event should be a JSON object")
    return events


def _gunzip(body: bytes, max_bytes: int) -> bytes:
    """Decompress every gzip member, stopping as soon as the output passes `max_bytes`."""
    output = bytearray()
    remaining = body
    while True:
        member = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
        try:
            output += member.decompress(remaining, max_bytes - len(output) + 1)
        except zlib.error:
            raise BatchBodyError("body", "body is not valid gzip") from None
        if len(output) > max_bytes:
            raise BatchBodyError(
                "body", f"decompressed body should be at most {max_bytes} bytes", status_code=413
            )
        if not member.eof:
            raise BatchBodyError("body", "body is not valid gzip (truncated)")
        remaining = member.unused_data
        if not remaining:
            return bytes(output)


def _too_many(max_events: int) -> BatchBodyError:
    return BatchBodyError("events", f"at most {max_events} events per batch", status_code=413)


def _json_events(body: bytes, max_events: int) -> list[Any]:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BatchBodyError("body", "body is not valid JSON") from None
    if not isinstance(document, dict):
        raise BatchBodyError("body", 'body should be a JSON object {"events": [...]}')
    for name in document:
        if name != "events":
            raise BatchBodyError(name, "Extra inputs are not permitted")
    if "events" not in document:
        raise BatchBodyError("events", "Field required")
    events = document["events"]
    if not isinstance(events, list):
        raise BatchBodyError("events", "Input should be a list")
    if len(events) > max_events:
        raise _too_many(max_events)
    return events


def _ndjson_events(body: bytes, max_events: int) -> list[Any]:
    lines = [(number, line) for number, line in enumerate(body.splitlines(), 1) if line.strip()]
    if len(lines) > max_events:
        raise _too_many(max_events)
    events = []
    for position, (number, line) in enumerate(lines):
        try:
            events.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            raise BatchBodyError(f"events.{position}", f"line {number} is not valid JSON") from None
    return events

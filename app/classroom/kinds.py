"""Classroom event contract: the kinds a client may send and the fields each kind carries.

Pure code: no database, no HTTP. Ingestion validates against it (`ingest/events.py`), reads
choose record kinds with it, rollups count by it.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from app.classroom.netaddr import parse_ip
from app.core.fields import ApiInput
from app.core.vocabulary import ConsentCategory, RecordKind

MAX_ID_LENGTH = 128
MAX_SPEAKING_MS = 6 * 60 * 60 * 1000


class LeaveReason(StrEnum):
    """Why a participant left a lesson (CLS-16)."""

    LEFT = "left"
    REMOVED = "removed"
    NETWORK_LOST = "network_lost"
    LESSON_ENDED = "lesson_ended"
    DUPLICATE_LOGIN = "duplicate_login"
    OTHER = "other"


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


class KindFields(ApiInput):
    """Base of every kind's fields: strict JSON types, nothing unknown, no control bytes."""

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
    multiline: ClassVar[frozenset[str]] = frozenset({"question"})
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

import gzip
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from app.classroom.ingest.body import MAX_BATCH_EVENTS, BatchBodyError, parse_batch_body
from app.classroom.ingest.events import EventError, ValidEvent, validate_batch
from app.classroom.kinds import KIND_NAMES, KINDS, LeaveReason
from app.classroom.netaddr import ip_keyed_hash, truncate_ip
from app.core.vocabulary import ConsentCategory, RecordKind

KEY = b"test-ip-hash-key-0123456789abcdef"

# One valid set of kind-specific fields per kind; kinds without fields map to {}.
SAMPLE_FIELDS: dict[str, dict[str, Any]] = {
    "lesson.started": {},
    "lesson.ended": {},
    "lesson.stage_count": {"count": 0},
    "recording.started": {},
    "recording.stopped": {},
    "attendance.joined": {},
    "attendance.left": {"reason": "network_lost"},
    "behaviour.spoke": {"duration_ms": 1500},
    "behaviour.camera_on": {},
    "behaviour.camera_off": {},
    "behaviour.mic_on": {},
    "behaviour.mic_off": {},
    "behaviour.stage_up": {},
    "behaviour.stage_down": {},
    "behaviour.removed": {},
    "behaviour.rewarded": {"count": 1},
    "behaviour.hand_raised": {},
    "behaviour.hand_lowered": {},
    "tool.authorized": {},
    "tool.buzzer": {"result": "first"},
    "tool.answerer": {"question": "q-7", "choice": "B", "correct": True},
    "tool.timer": {"seconds": 60},
    "tool.wheel": {},
    "tool.screen_share": {"state": "on"},
    "tool.whiteboard": {},
    "teacher.muted": {"target": "student-3"},
    "teacher.rewarded": {"target": "student-3", "count": 2},
    "teacher.hand_handled": {},
    "teacher.authorized": {"target": "student-3"},
    "courseware.opened": {"courseware": "cw-algebra-1"},
    "courseware.page": {"courseware": "cw-algebra-1", "page": 3},
    "diagnostics.sample": {
        "ip": "203.0.113.77",
        "latency_ms": 42.5,
        "packet_loss": 0.02,
        "os": "iOS 17.4",
        "device_type": "tablet",
        "cpu": "A15",
        "client_version": "5.2.1",
        "device_id": "dev-9",
        "user_gateway": "gw-user-1",
        "access_gateway": "gw-access-2",
        "camera": "FaceTime HD",
        "microphone": "built-in",
        "speaker": "built-in",
    },
}

REQUIRED_FIELDS: dict[str, list[str]] = {
    "lesson.stage_count": ["count"],
    "attendance.left": ["reason"],
    "behaviour.spoke": ["duration_ms"],
    "behaviour.rewarded": ["count"],
    "tool.answerer": ["question", "choice", "correct"],
    "courseware.opened": ["courseware"],
    "courseware.page": ["courseware", "page"],
}

EXPECTED_MAPPING: dict[str, tuple[RecordKind, ConsentCategory | None]] = {
    "lesson.started": (RecordKind.ATTENDANCE, None),
    "lesson.ended": (RecordKind.ATTENDANCE, None),
    "lesson.stage_count": (RecordKind.ATTENDANCE, None),
    "recording.started": (RecordKind.ATTENDANCE, ConsentCategory.RECORDING),
    "recording.stopped": (RecordKind.ATTENDANCE, ConsentCategory.RECORDING),
    "attendance.joined": (RecordKind.ATTENDANCE, None),
    "attendance.left": (RecordKind.ATTENDANCE, None),
    "behaviour.spoke": (RecordKind.BEHAVIOUR, ConsentCategory.MICROPHONE),
    "behaviour.camera_on": (RecordKind.BEHAVIOUR, ConsentCategory.CAMERA),
    "behaviour.camera_off": (RecordKind.BEHAVIOUR, ConsentCategory.CAMERA),
    "behaviour.mic_on": (RecordKind.BEHAVIOUR, ConsentCategory.MICROPHONE),
    "behaviour.mic_off": (RecordKind.BEHAVIOUR, ConsentCategory.MICROPHONE),
    "behaviour.stage_up": (RecordKind.BEHAVIOUR, None),
    "behaviour.stage_down": (RecordKind.BEHAVIOUR, None),
    "behaviour.removed": (RecordKind.BEHAVIOUR, None),
    "behaviour.rewarded": (RecordKind.BEHAVIOUR, None),
    "behaviour.hand_raised": (RecordKind.BEHAVIOUR, None),
    "behaviour.hand_lowered": (RecordKind.BEHAVIOUR, None),
    "tool.authorized": (RecordKind.TOOL_USE, None),
    "tool.buzzer": (RecordKind.TOOL_USE, None),
    "tool.answerer": (RecordKind.TOOL_USE, None),
    "tool.timer": (RecordKind.TOOL_USE, None),
    "tool.wheel": (RecordKind.TOOL_USE, None),
    "tool.screen_share": (RecordKind.TOOL_USE, None),
    "tool.whiteboard": (RecordKind.TOOL_USE, None),
    "teacher.muted": (RecordKind.TEACHER_ACTION, None),
    "teacher.rewarded": (RecordKind.TEACHER_ACTION, None),
    "teacher.hand_handled": (RecordKind.TEACHER_ACTION, None),
    "teacher.authorized": (RecordKind.TEACHER_ACTION, None),
    "courseware.opened": (RecordKind.COURSEWARE_USE, None),
    "courseware.page": (RecordKind.COURSEWARE_USE, None),
    "diagnostics.sample": (RecordKind.DIAGNOSTICS, ConsentCategory.DIAGNOSTICS),
}


def make_event(kind: str = "attendance.joined", **overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "id": "evt-1",
        "lesson": "lesson-42",
        "user": "student-1",
        "at": "2024-05-01T10:00:00.250+08:00",
        "kind": kind,
        **SAMPLE_FIELDS.get(kind, {}),
    }
    event.update(overrides)
    return event


def check(*events: dict[str, Any]) -> tuple[list[ValidEvent], list[EventError]]:
    return validate_batch(list(events), ip_hash_key=KEY)


def error_fields(errors: list[EventError]) -> set[tuple[int, str]]:
    return {(error.index, error.field) for error in errors}


# --- Registry -------------------------------------------------------------------------------


def test_registry_lists_exactly_the_contract_kinds() -> None:
    """CLS-9, CLS-11, CLS-12, CLS-13, CLS-14, CLS-17, CLS-18."""
    assert set(KIND_NAMES) == set(SAMPLE_FIELDS)
    assert set(KINDS) == set(KIND_NAMES)
    assert all(KINDS[name].name == name for name in KIND_NAMES)


@pytest.mark.parametrize("kind", sorted(EXPECTED_MAPPING))
def test_record_kind_and_consent_category(kind: str) -> None:
    record_kind, consent_category = EXPECTED_MAPPING[kind]
    assert (KINDS[kind].record_kind, KINDS[kind].consent_category) == (
        record_kind,
        consent_category,
    )
    valid, errors = check(make_event(kind))
    assert errors == []
    assert (valid[0].record_kind, valid[0].consent_category) == (record_kind, consent_category)


def test_leave_reasons() -> None:
    """CLS-16."""
    assert [reason.value for reason in LeaveReason] == [
        "left",
        "removed",
        "network_lost",
        "lesson_ended",
        "duplicate_login",
        "other",
    ]


# --- Accepted events ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(SAMPLE_FIELDS))
def test_every_kind_accepts_its_sample(kind: str) -> None:
    valid, errors = check(make_event(kind))
    assert errors == []
    [event] = valid
    assert event.kind == kind
    assert event.client_id == "evt-1"
    assert event.lesson_id == "lesson-42"
    assert event.user_id == "student-1"
    assert event.phone is None
    assert event.at == datetime(2024, 5, 1, 2, 0, 0, 250_000, tzinfo=UTC)
    assert event.at.tzinfo is UTC
    expected = {name: value for name, value in SAMPLE_FIELDS[kind].items() if name != "ip"}
    assert event.data == expected
    orjson.dumps(event.data)  # JSON-serialisable as stored


def test_optional_fields_may_be_left_out() -> None:
    for kind in ("tool.buzzer", "tool.timer", "tool.screen_share", "teacher.rewarded"):
        valid, errors = check(make_event(kind, **dict.fromkeys(SAMPLE_FIELDS[kind], None)))
        assert errors == [], kind
        bare = {k: v for k, v in make_event(kind).items() if k not in SAMPLE_FIELDS[kind]}
        valid, errors = check(bare)
        assert errors == [] and valid[0].data == {}, kind


def test_leave_reason_is_stored_as_plain_string() -> None:
    valid, _ = check(make_event("attendance.left", reason="duplicate_login"))
    assert valid[0].data == {"reason": "duplicate_login"}
    assert type(valid[0].data["reason"]) is str


def test_phone_participant() -> None:
    event = make_event(phone="+8613800138000")
    del event["user"]
    valid, errors = check(event)
    assert errors == []
    assert (valid[0].user_id, valid[0].phone) == (None, "+8613800138000")


@pytest.mark.parametrize(
    "at",
    ["2024-05-01T02:00:00Z", "2024-05-01t02:00:00z", "2024-05-01T04:00:00+02:00"],
)
def test_timestamps_become_utc(at: str) -> None:
    valid, errors = check(make_event(at=at))
    assert errors == []
    assert valid[0].at == datetime(2024, 5, 1, 2, 0, tzinfo=UTC)
    assert valid[0].at.tzinfo is UTC


# --- Rejected events ------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["id", "lesson", "at", "kind"])
def test_missing_envelope_field(field: str) -> None:
    event = make_event()
    del event[field]
    valid, errors = check(event)
    assert valid == []
    assert error_fields(errors) == {(0, field)}
    assert errors[0].reason == "Field required"


@pytest.mark.parametrize(
    ("kind", "field"),
    [(kind, field) for kind, fields in sorted(REQUIRED_FIELDS.items()) for field in fields],
)
def test_missing_kind_field(kind: str, field: str) -> None:
    event = make_event(kind)
    del event[field]
    valid, errors = check(event)
    assert valid == []
    assert [(error.field, error.reason) for error in errors] == [(field, "Field required")]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"id": ""}, "id"),
        ({"id": "x" * 129}, "id"),
        ({"id": 7}, "id"),
        ({"lesson": None}, "lesson"),
        ({"user": ""}, "user"),
        ({"kind": "behaviour.danced"}, "kind"),
        ({"kind": 3}, "kind"),
        ({"at": 1714528800}, "at"),
        ({"at": "2024-05-01"}, "at"),
        ({"at": "2024-05-01T10:00Z"}, "at"),
        ({"at": "2024-02-30T10:00:00Z"}, "at"),
        ({"at": "٢٠٢٤-05-01T10:00:00Z"}, "at"),
    ],
)
def test_bad_envelope_values(overrides: dict[str, Any], field: str) -> None:
    valid, errors = check(make_event(**overrides))
    assert valid == []
    assert error_fields(errors) == {(0, field)}


@pytest.mark.parametrize(
    ("kind", "overrides", "field"),
    [
        ("lesson.stage_count", {"count": -1}, "count"),
        ("lesson.stage_count", {"count": "3"}, "count"),
        ("attendance.left", {"reason": "bored"}, "reason"),
        ("behaviour.spoke", {"duration_ms": 6 * 3600 * 1000 + 1}, "duration_ms"),
        ("behaviour.spoke", {"duration_ms": True}, "duration_ms"),
        ("behaviour.spoke", {"duration_ms": 1.5}, "duration_ms"),
        ("behaviour.rewarded", {"count": 0}, "count"),
        ("tool.buzzer", {"result": "late"}, "result"),
        ("tool.answerer", {"correct": "yes"}, "correct"),
        ("tool.screen_share", {"state": "paused"}, "state"),
        ("teacher.muted", {"target": ""}, "target"),
        ("courseware.page", {"page": 0}, "page"),
        ("diagnostics.sample", {"ip": "999.1.1.1"}, "ip"),
        ("diagnostics.sample", {"packet_loss": 1.5}, "packet_loss"),
        ("diagnostics.sample", {"latency_ms": -1}, "latency_ms"),
        ("diagnostics.sample", {"os": "x" * 257}, "os"),
    ],
)
def test_bad_kind_values(kind: str, overrides: dict[str, Any], field: str) -> None:
    valid, errors = check(make_event(kind, **overrides))
    assert valid == []
    assert error_fields(errors) == {(0, field)}


def test_naive_timestamp_is_rejected() -> None:
    valid, errors = check(make_event(at="2024-05-01T10:00:00"))
    assert valid == []
    assert errors == [EventError(0, "at", "Input should have timezone info")]


def test_user_and_phone_exactly_one() -> None:
    both = make_event(phone="+8613800138000")
    neither = make_event()
    del neither["user"]
    valid, errors = check(both, neither)
    assert valid == []
    assert error_fields(errors) == {(0, "user"), (1, "user")}


@pytest.mark.parametrize("kind", ["lesson.started", "behaviour.spoke", "diagnostics.sample"])
def test_extra_fields_are_rejected(kind: str) -> None:
    """RET-7, PUR-8."""
    valid, errors = check(make_event(kind, colour="blue"))
    assert valid == []
    assert errors == [EventError(0, "colour", "Extra inputs are not permitted")]


def test_empty_diagnostics_sample_is_rejected() -> None:
    event = make_event("lesson.started") | {"kind": "diagnostics.sample"}
    valid, errors = check(event, {**event, "os": None})
    assert valid == []
    assert error_fields(errors) == {(0, "event"), (1, "event")}


def test_non_object_event() -> None:
    valid, errors = validate_batch([make_event(), ["not", "an", "object"]], ip_hash_key=KEY)  # type: ignore[list-item]
    assert len(valid) == 1
    assert errors == [EventError(1, "event", "Input should be a JSON object")]


def test_every_bad_event_and_every_error_is_reported() -> None:
    events = [
        make_event(),
        make_event(at="2024-05-01T10:00:00", kind="behaviour.spoke", duration_ms=-5),
        make_event(),
        {"kind": "courseware.page", "page": 0, "mood": "happy"},
        make_event(kind="nope.nope"),
    ]
    valid, errors = check(*events)
    assert [event.index for event in valid] == [0, 2]
    assert error_fields(errors) == {
        (1, "at"),
        (1, "duration_ms"),
        (3, "id"),
        (3, "lesson"),
        (3, "user"),
        (3, "at"),
        (3, "courseware"),
        (3, "page"),
        (3, "mood"),
        (4, "kind"),
    }


def test_empty_hash_key_is_refused() -> None:
    with pytest.raises(ValueError):
        validate_batch([make_event()], ip_hash_key=b"")


# --- IP addresses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ip", "prefix"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("10.0.0.1", "10.0.0.0/24"),
        ("::ffff:198.51.100.9", "198.51.100.0/24"),
        ("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd::/48"),
        ("2001:DB8:ABCD:0012::1", "2001:db8:abcd::/48"),
        ("fe80::1%eth0", "fe80::/48"),
    ],
)
def test_truncate_ip(ip: str, prefix: str) -> None:
    assert truncate_ip(ip) == prefix


def test_ip_hash_is_keyed_and_canonical() -> None:
    assert ip_keyed_hash("2001:DB8::1", KEY) == ip_keyed_hash("2001:db8:0:0::1", KEY)
    assert ip_keyed_hash("::ffff:198.51.100.9", KEY) == ip_keyed_hash("198.51.100.9", KEY)
    assert ip_keyed_hash("198.51.100.9", KEY) != ip_keyed_hash("198.51.100.9", b"other-key")
    assert ip_keyed_hash("198.51.100.9", KEY) != ip_keyed_hash("198.51.100.10", KEY)
    assert len(ip_keyed_hash("198.51.100.9", KEY)) == 64
    with pytest.raises(ValueError):
        truncate_ip("not-an-ip")


@pytest.mark.parametrize("ip", ["203.0.113.77", "2001:db8:abcd:12::beef"])
def test_full_ip_never_reaches_valid_event(ip: str) -> None:
    valid, errors = check(make_event("diagnostics.sample", ip=ip))
    assert errors == []
    [event] = valid
    assert event.ip_prefix == truncate_ip(ip)
    assert event.ip_hash == ip_keyed_hash(ip, KEY)
    assert "ip" not in event.data
    stored = repr([getattr(event, name) for name in event.__slots__])
    assert ip not in stored
    assert ip.split(":")[-1] not in orjson.dumps(event.data).decode()


def test_events_without_ip_have_no_ip_columns() -> None:
    valid, _ = check(make_event("diagnostics.sample", ip=None), make_event("lesson.started"))
    assert [(event.ip_prefix, event.ip_hash) for event in valid] == [(None, None), (None, None)]


# --- Batch bodies ---------------------------------------------------------------------------


def test_json_body() -> None:
    body = orjson.dumps({"events": [make_event(), make_event("behaviour.spoke")]})
    events = parse_batch_body(body, "application/json; charset=utf-8", None)
    assert [event["kind"] for event in events] == ["attendance.joined", "behaviour.spoke"]


def test_ndjson_body_ignores_blank_lines() -> None:
    lines = [orjson.dumps(make_event(id=f"evt-{n}")) for n in range(3)]
    body = b"\n" + b"\r\n".join(lines[:2]) + b"\n   \n" + lines[2] + b"\n\n"
    events = parse_batch_body(body, "application/x-ndjson", None)
    assert [event["id"] for event in events] == ["evt-0", "evt-1", "evt-2"]


@pytest.mark.parametrize("content_type", ["application/json", "application/x-ndjson"])
def test_gzip_body(content_type: str) -> None:
    events = [make_event(id=f"evt-{n}") for n in range(10)]
    if content_type == "application/json":
        plain = orjson.dumps({"events": events})
    else:
        plain = b"\n".join(orjson.dumps(event) for event in events)
    parsed = parse_batch_body(gzip.compress(plain), content_type, "gzip")
    assert parsed == events


def test_multi_member_gzip_body() -> None:
    first, second = orjson.dumps(make_event(id="a")), orjson.dumps(make_event(id="b"))
    body = gzip.compress(first + b"\n") + gzip.compress(second)
    events = parse_batch_body(body, "application/x-ndjson", "GZIP")
    assert [event["id"] for event in events] == ["a", "b"]


def test_gzip_bomb_is_stopped() -> None:
    bomb = gzip.compress(b" " * (2 * 1024 * 1024))
    with pytest.raises(BatchBodyError) as caught:
        parse_batch_body(bomb, "application/json", "gzip", max_bytes=1024 * 1024)
    assert caught.value.field == "body"
    assert caught.value.status_code == 413


def test_truncated_or_bad_gzip() -> None:
    body = gzip.compress(orjson.dumps({"events": []}))
    for broken in (body[:-12], b"not gzip at all"):
        with pytest.raises(BatchBodyError, match="not valid gzip"):
            parse_batch_body(broken, "application/json", "gzip")


@pytest.mark.parametrize("content_type", ["application/json", "application/x-ndjson"])
def test_too_many_events(content_type: str) -> None:
    events = [make_event(id=f"evt-{n}") for n in range(MAX_BATCH_EVENTS + 1)]
    if content_type == "application/json":
        body = orjson.dumps({"events": events})
    else:
        body = b"\n".join(orjson.dumps(event) for event in events)
    with pytest.raises(BatchBodyError) as caught:
        parse_batch_body(body, content_type, None)
    assert (caught.value.field, caught.value.reason) == ("events", "at most 5000 events per batch")
    assert len(parse_batch_body(body, content_type, None, max_events=5001)) == 5001


def test_exactly_max_events_is_accepted() -> None:
    body = orjson.dumps({"events": [make_event(id=f"e{n}") for n in range(MAX_BATCH_EVENTS)]})
    assert len(parse_batch_body(body, "application/json", None)) == MAX_BATCH_EVENTS


@pytest.mark.parametrize(
    ("body", "content_type", "encoding", "field", "reason"),
    [
        (b"{nope", "application/json", None, "body", "body is not valid JSON"),
        (b"[]", "application/json", None, "body", None),
        (b"{}", "application/json", None, "events", "Field required"),
        (b'{"events": {}}', "application/json", None, "events", "Input should be a list"),
        (b'{"events": null}', "application/json", None, "events", "Input should be a list"),
        (b'{"events": [], "x": 1}', "application/json", None, "x", None),
        (b'{"events": [1]}', "application/json", None, "events.0", None),
        (
            b'{"id": 1}\n{bad\n',
            "application/x-ndjson",
            None,
            "events.1",
            "line 2 is not valid JSON",
        ),
        (b"[1]\n", "application/x-ndjson", None, "events.0", None),
        (b"{}", "text/plain", None, "Content-Type", None),
        (b"{}", "application/json", "br", "Content-Encoding", None),
    ],
)
def test_bad_bodies(
    body: bytes, content_type: str, encoding: str | None, field: str, reason: str | None
) -> None:
    with pytest.raises(BatchBodyError) as caught:
        parse_batch_body(body, content_type, encoding)
    assert caught.value.field == field
    if reason is not None:
        assert caught.value.reason == reason


def test_parsed_body_validates_end_to_end() -> None:
    body = gzip.compress(
        b"\n".join(orjson.dumps(make_event(kind, id=f"evt-{kind}")) for kind in KIND_NAMES)
    )
    valid, errors = validate_batch(
        parse_batch_body(body, "application/x-ndjson", "gzip"), ip_hash_key=KEY
    )
    assert errors == []
    assert [event.kind for event in valid] == list(KIND_NAMES)

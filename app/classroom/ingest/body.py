"""Batch bodies: JSON `{"events": [...]}` or NDJSON, gzip-encoded or not, size-bounded.

Pure code: a body becomes raw event dicts (`parse_batch_body`) or one `BatchBodyError`.
"""

import zlib
from typing import Any

import orjson

MAX_BATCH_EVENTS = 5000
MAX_BODY_BYTES = 64 * 1024 * 1024


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

"""What `/openapi.json` says about ingestion: every event kind with its fields, as a union
discriminated by `kind`, and the multipart body of file uploads.

The route reads its body itself (JSON or NDJSON, gzip allowed), so FastAPI cannot infer
the schema; it is built here from the same registry the validation uses (`kinds.KINDS`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model

from app.classroom.ingest.events import MAX_CLIENT_ID_LENGTH, MAX_PHONE_LENGTH
from app.classroom.kinds import KINDS, MAX_ID_LENGTH, KindSpec
from app.core.openapi import file_upload_body

REF = "#/components/schemas/{model}"


class EventEnvelope(BaseModel):
    """The fields every event carries; the kind's own fields sit beside them."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(max_length=MAX_CLIENT_ID_LENGTH, description="client id (idempotency key)")
    lesson: str = Field(description="the lesson's id")
    user: str | None = Field(
        default=None, max_length=MAX_ID_LENGTH, description="the participant's account id"
    )
    phone: str | None = Field(
        default=None, max_length=MAX_PHONE_LENGTH, description="or the participant's phone"
    )
    at: str = Field(json_schema_extra={"format": "date-time"}, description="RFC 3339, with zone")


def _model_name(kind: str) -> str:
    return "Event_" + "".join(part.capitalize() for part in kind.replace(".", "_").split("_"))


def _event_model(spec: KindSpec) -> type[BaseModel]:
    fields: dict[str, Any] = {"kind": (Literal[spec.name], ...)}
    for name, info in spec.model.model_fields.items():
        fields[name] = (info.annotation, info)
    return create_model(_model_name(spec.name), __base__=EventEnvelope, **fields)


def _batch_schemas() -> dict[str, Any]:
    """Component schemas: `IngestEvent` (the union) and `IngestBatch`, plus what they use."""
    models = tuple(_event_model(spec) for spec in KINDS.values())
    union: Any = Annotated[Union[models], Field(discriminator="kind")]  # noqa: UP007
    schema = TypeAdapter(union).json_schema(ref_template=REF)
    components: dict[str, Any] = schema.pop("$defs", {})
    components["IngestEvent"] = schema
    components["IngestBatch"] = {
        "type": "object",
        "properties": {
            "events": {"type": "array", "items": {"$ref": REF.format(model="IngestEvent")}}
        },
        "required": ["events"],
        "additionalProperties": False,
    }
    return components


BATCH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": REF.format(model="IngestBatch")}},
            "application/x-ndjson": {
                "schema": {"type": "string", "description": "one IngestEvent per line"}
            },
        },
    }
}

UPLOAD_BODY: dict[str, Any] = file_upload_body(
    "recording: MP4, WebM, QuickTime or audio; snapshot: JPEG, PNG or WebP (judged by the bytes)",
    duration_seconds={"type": "number", "minimum": 0},
    notice_shown={"type": "boolean"},
)


def add_components(openapi: dict[str, Any]) -> dict[str, Any]:
    """The document with the ingestion schemas among its components."""
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(_batch_schemas())
    return openapi

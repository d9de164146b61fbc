"""Pieces of the OpenAPI document that FastAPI cannot infer (a streamed multipart upload)."""

from __future__ import annotations

from typing import Any


def file_upload_body(description: str, **fields: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` of a route that streams a multipart body: a required `file` part
    (described) and any other form `fields` (name: JSON schema)."""
    properties: dict[str, Any] = {
        "file": {"type": "string", "format": "binary", "description": description},
        **fields,
    }
    schema = {"type": "object", "properties": properties, "required": ["file"]}
    return {
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": schema}},
        }
    }

"""`/openapi.json` describes ingestion and uploads, so `/docs` can show and try them (#11)."""

from __future__ import annotations

from app.classroom.kinds import KIND_NAMES


async def test_ingest_events_publishes_every_kind_with_its_fields(client):
    """CLS-1: every event kind, discriminated by `kind`, with the kind's own fields."""
    document = (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    body = document["paths"]["/v1/ingest/events"]["post"]["requestBody"]["content"]
    assert body["application/json"]["schema"] == {"$ref": "#/components/schemas/IngestBatch"}
    assert "application/x-ndjson" in body
    assert schemas["IngestBatch"]["required"] == ["events"]
    union = schemas["IngestEvent"]
    assert union["discriminator"]["propertyName"] == "kind"
    mapping = union["discriminator"]["mapping"]
    assert set(mapping) == set(KIND_NAMES)

    def kind_schema(kind: str) -> dict:
        return schemas[mapping[kind].rsplit("/", 1)[-1]]

    page = kind_schema("courseware.page")
    assert {"id", "lesson", "user", "phone", "at", "kind", "courseware", "page"} <= set(
        page["properties"]
    )
    assert {"id", "lesson", "at", "kind", "courseware", "page"} <= set(page["required"])
    assert page["properties"]["page"]["minimum"] == 1
    left = kind_schema("attendance.left")["properties"]["reason"]
    reasons = schemas[left["$ref"].rsplit("/", 1)[-1]]["enum"]
    assert "network_lost" in reasons
    assert "latency_ms" in kind_schema("diagnostics.sample")["properties"]
    assert set(kind_schema("lesson.started")["properties"]) == {
        "id", "lesson", "user", "phone", "at", "kind"
    }  # fmt: skip


async def test_upload_routes_publish_their_multipart_body(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in (
        "/v1/tenants/{slug}/lessons/{lesson_id}/recordings",
        "/v1/tenants/{slug}/lessons/{lesson_id}/snapshots",
        "/v1/ingest/lessons/{lesson_id}/{kind}",
    ):
        form = paths[path]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
        assert form["properties"]["file"] == {**form["properties"]["file"], "format": "binary"}
        assert {"file", "duration_seconds", "notice_shown"} == set(form["properties"])
        assert form["required"] == ["file"]
    roster = paths["/v1/tenants/{slug}/roster/import"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in roster

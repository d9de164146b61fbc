"""Ingestion HTTP: event batches from a school's API key."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.authz.deps import ApiKeyClient
from app.classroom.ingest import limits, service
from app.classroom.ingest.openapi import BATCH_BODY
from app.classroom.ingest.schemas import IngestAnswer
from app.core.deps import ContextDep, KeysDep, SessionDep
from app.core.errors import TooMany

router = APIRouter(tags=["classroom"])


@router.post(
    "/v1/ingest/events",
    status_code=202,
    response_model=IngestAnswer,
    tags=["ingestion"],
    openapi_extra=BATCH_BODY,
    responses={429: {"description": "the school's events per minute are used up"}},
)
async def ingest_events(
    request: Request,
    client: ApiKeyClient,
    session: SessionDep,
    keys: KeysDep,
    ctx: ContextDep,
) -> JSONResponse:
    """A batch of up to 5,000 events (JSON `{events: [...]}` or NDJSON, gzip allowed)."""
    settings = ctx.settings
    raw = service.parse_body(
        await request.body(),
        request.headers.get("content-type", ""),
        request.headers.get("content-encoding"),
        max_bytes=settings.ingest_decompressed_max_bytes,
    )
    try:
        await limits.admit_batch(
            ctx.db, session, client.tenant_id, len(raw), settings.ingest_events_per_minute
        )
    except TooMany:
        ctx.metrics.rate_limited(client.tenant_id, len(raw))
        raise
    result = await service.accept_batch(
        session,
        keys,
        client.tenant_id,
        client.key_id,
        raw,
        region=settings.default_region,
        request_id=getattr(request.state, "request_id", None),
    )
    ctx.metrics.ingested(client.tenant_id, result.accepted, result.duplicates, result.dropped)
    answer = IngestAnswer(
        accepted=result.accepted, duplicates=result.duplicates, dropped=result.dropped
    )
    return JSONResponse(answer.model_dump(), status_code=202)

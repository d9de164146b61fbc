"""`/v1/me/exports`: a person (or their guardian, `?student=`) asks for, polls and downloads
the access export. Identity is the signed-in session; the job builds the zip (RGT-1/2)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.deps import CurrentAccount
from app.accounts.models import Account
from app.classroom.files.storage import get_store
from app.core.context import ServiceContext
from app.core.deps import ContextDep, SessionDep
from app.rights.export import service
from app.rights.export import tasks as _tasks  # noqa: F401  (registers the export job)
from app.rights.export.models import AccessExport
from app.rights.export.schemas import ExportAccepted, ExportOut

router = APIRouter(tags=["me", "rights"])
Student = Annotated[str | None, Query(description="a child's account id, for their guardian")]


def _language(accept_language: str | None) -> str:
    return "en" if (accept_language or "").lower().startswith("en") else "zh"


def _out(export: AccessExport) -> ExportOut:
    return ExportOut(
        id=export.id,
        status=export.status,
        account_id=export.account_id,
        requested_by=export.requested_by,
        language=export.language,
        created_at=export.created_at,
        finished_at=export.finished_at,
        size_bytes=export.size_bytes,
        sha256=export.sha256,
        files=dict(export.contents.get("rows", {})),
        schools=list(export.contents.get("schools", [])),
    )


@router.post("/v1/me/exports", response_model=ExportAccepted, status_code=202)
async def request_export(
    account: CurrentAccount,
    session: SessionDep,
    student: Student = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> ExportAccepted:
    """Queue a zip of everything held about you (or your child); asking again while it is
    being built answers the same export."""
    subject = await service.subject_for(session, account, student)
    export = await service.start_access_export(
        session, account_id=subject, requested_by=account.id, language=_language(accept_language)
    )
    return ExportAccepted(id=export.id, status=export.status)


@router.get("/v1/me/exports/{export_id}", response_model=ExportOut)
async def get_export(
    export_id: str, account: CurrentAccount, session: SessionDep, student: Student = None
) -> ExportOut:
    subject = await service.subject_for(session, account, student)
    return _out(await service.visible_export(session, account, export_id, subject))


@router.get("/v1/me/exports/{export_id}/download", response_class=StreamingResponse)
async def download_export(
    export_id: str,
    account: CurrentAccount,
    session: SessionDep,
    ctx: ContextDep,
    student: Student = None,
) -> StreamingResponse:
    """The zip, streamed from the object store; 409 until it is ready."""
    subject = await service.subject_for(session, account, student)
    export = await service.visible_export(session, account, export_id, subject)
    return await download_response(session, ctx, account, export)


async def download_response(
    session: AsyncSession, ctx: ServiceContext, account: Account, export: AccessExport
) -> StreamingResponse:
    """Stream a ready export (409 until then), audited as a download by `account`."""
    key = service.ready_key(export)
    await service.record_download(session, account, export)
    return StreamingResponse(
        get_store(ctx.settings).stream(key),
        media_type=service.ZIP_TYPE,
        headers={"Content-Disposition": f'attachment; filename="rostra-export-{export.id}.zip"'},
    )

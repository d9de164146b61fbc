"""Roster files over HTTP: import (OneRoster zip or `roster.csv`) and export (OneRoster zip)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile

from app.authz.access import Access
from app.authz.audit import record_access
from app.authz.deps import Authorize
from app.core import csvout
from app.core.deps import ContextDep, SessionDep
from app.core.errors import DomainError, PayloadTooLarge
from app.core.vocabulary import Action, Purpose, RecordKind
from app.roster.imports.export import ExportFormat, export_roster
from app.roster.imports.rosterfile import MAX_FILE_BYTES
from app.roster.imports.service import OnError, archive_limits, import_roster, school_orgs
from app.roster.schemas import AgeBandIn, ImportPlan

router = APIRouter(tags=["roster"])


def _member(action: Action) -> Authorize:
    return Authorize(RecordKind.MEMBER, action, purpose=Purpose.TEACHING_MANAGEMENT)


ImportAccess = Annotated[Access, Depends(_member(Action.CREATE))]
ExportAccess = Annotated[Access, Depends(_member(Action.EXPORT))]


class RosterRowsInvalid(DomainError):
    status, type, title = 422, "roster-rows", "The roster file has row errors"


@router.post(
    "/v1/tenants/{slug}/roster/import",
    response_model=ImportPlan,
    responses={
        413: {"description": "the zip unpacks past `roster_max_unpacked_bytes`"},
        422: {"description": "row errors (the plan and every error), or too many zip entries"},
    },
)
async def import_file(
    access: ImportAccess,
    ctx: ContextDep,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="OneRoster 1.2 CSV zip or roster.csv")],
    default_age_band: Annotated[AgeBandIn | None, Form()] = None,
    format: Annotated[Literal["oneroster", "csv"] | None, Query()] = None,
    dry_run: Annotated[bool, Query(description="plan only; nothing is written")] = False,
    on_error: Annotated[
        OnError,
        Query(description="abort: any row error writes nothing; skip: write the valid rows"),
    ] = "abort",
) -> ImportPlan:
    """Imports the school's roster, idempotent by sourcedId. The import is the school's
    consent attestation (method `school_import`) for everyone it registers."""
    data = await file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise PayloadTooLarge(f"the file is larger than {MAX_FILE_BYTES // 2**20} MiB")
    school = school_orgs(ctx.settings, access.tenant)
    result, writes = await import_roster(
        session,
        ctx.keys,
        access.tenant,
        access.account_id,
        data,
        fmt=format,
        default_age_band=default_age_band,
        dry_run=dry_run,
        region=school.phone_region,
        limits=archive_limits(ctx.settings),
        orgs=school.orgs,
        on_error=on_error,
    )
    if result.errors:
        raise RosterRowsInvalid(
            f"{len(result.errors)} row error(s); nothing was written",
            plan=result.plan.model_dump(),
            errors=[asdict(e) for e in result.errors],
        )
    if not dry_run:
        await record_access(
            session, access, writes.subjects, detail={"import": result.plan.model_dump()}
        )
    return result.plan


@router.get(
    "/v1/tenants/{slug}/roster/export",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}, "text/csv": {}}}},
)
async def export_file(
    access: ExportAccess,
    ctx: ContextDep,
    session: SessionDep,
    format: Annotated[ExportFormat, Query(description="oneroster (zip) or csv")] = "oneroster",
) -> Response:
    """The whole school's roster as a OneRoster 1.2 CSV zip, or as one `roster.csv`."""
    data, subjects = await export_roster(session, ctx.keys, access.tenant, format)
    await record_access(session, access, subjects, detail={"format": format})
    csv = format == "csv"
    filename = f"{access.tenant.slug}-{'roster.csv' if csv else 'oneroster.zip'}"
    return Response(
        data,
        media_type=csvout.MEDIA_TYPE if csv else "application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )

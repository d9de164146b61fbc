"""Support grants (AUZ-8) and the audit log over HTTP: parse, authorise, call the service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime

from app.accounts.deps import CurrentAccount
from app.authz import grants, service
from app.authz.access import Access
from app.authz.deps import Authorize
from app.authz.repository import AuditFilter
from app.authz.schemas import AuditEntryOut, MyAuditEntryOut, SupportGrantIn, SupportGrantOut
from app.core.deps import ContextDep, SessionDep
from app.core.ids import parse_id
from app.core.pagination import Page, PageParams, encode_cursor, page_params

router = APIRouter()

GrantCreate = Annotated[Access, Depends(Authorize("support_grant", "create", purpose="security"))]
GrantList = Annotated[Access, Depends(Authorize("support_grant", "list", purpose="security"))]
GrantDelete = Annotated[Access, Depends(Authorize("support_grant", "delete", purpose="security"))]
AuditList = Annotated[Access, Depends(Authorize("audit_entry", "list", purpose="security"))]
AuditExport = Annotated[Access, Depends(Authorize("audit_entry", "export", purpose="security"))]
Paging = Annotated[PageParams, Depends(page_params)]


@router.post(
    "/v1/tenants/{slug}/support-grants",
    status_code=201,
    response_model=SupportGrantOut,
    tags=["support grants"],
)
async def create_support_grant(
    body: SupportGrantIn, access: GrantCreate, session: SessionDep, ctx: ContextDep
) -> SupportGrantOut:
    grant, staff = await grants.create_grant(
        session, ctx.keys, ctx.settings.default_region, access, body
    )
    return grants.grant_out(grant, staff)


@router.get(
    "/v1/tenants/{slug}/support-grants",
    response_model=Page[SupportGrantOut],
    tags=["support grants"],
)
async def list_support_grants(
    access: GrantList, session: SessionDep, page: Paging
) -> Page[SupportGrantOut]:
    rows = await grants.list_grants(session, access, before=page.after_id(), limit=page.limit + 1)
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    return Page(
        items=[grants.grant_out(g, a) for g, a in rows],
        next_cursor=encode_cursor([str(rows[-1][0].id)]) if more else None,
    )


@router.delete(
    "/v1/tenants/{slug}/support-grants/{grant_id}", status_code=204, tags=["support grants"]
)
async def revoke_support_grant(grant_id: str, access: GrantDelete, session: SessionDep) -> Response:
    await grants.revoke_grant(session, access, parse_id(grant_id))
    return Response(status_code=204)


def audit_filter(
    person: Annotated[uuid.UUID | None, Query(description="account id: by or about")] = None,
    kind: Annotated[str | None, Query(max_length=32, description="record kind")] = None,
    since: Annotated[AwareDatetime | None, Query(alias="from", description="at or after")] = None,
    until: Annotated[AwareDatetime | None, Query(alias="to", description="before")] = None,
) -> AuditFilter:
    return AuditFilter(person=person, kind=kind, since=since, until=until)


Filters = Annotated[AuditFilter, Depends(audit_filter)]


@router.get("/v1/tenants/{slug}/audit", response_model=Page[AuditEntryOut], tags=["audit"])
async def list_audit(
    access: AuditList, session: SessionDep, page: Paging, filters: Filters
) -> Page[AuditEntryOut]:
    items, more = await service.list_audit(
        session, access, filters, before=page.after_id(), limit=page.limit
    )
    return Page(items=items, next_cursor=encode_cursor([str(items[-1].id)]) if more else None)


@router.get("/v1/tenants/{slug}/audit/export", tags=["audit"])
async def export_audit(
    access: AuditExport,
    session: SessionDep,
    ctx: ContextDep,
    filters: Filters,
    format: Annotated[service.ExportFormat, Query(description="json or csv")] = "json",
) -> StreamingResponse:
    await service.record_export(session, access, filters)
    stamp = datetime.now().strftime("%Y%m%d")
    name = f"audit-{access.tenant.slug}-{stamp}.{format}"
    return StreamingResponse(
        service.export_audit(ctx.db, access.tenant_id, filters, format),
        media_type="text/csv; charset=utf-8" if format == "csv" else "application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/v1/me/audit", response_model=Page[MyAuditEntryOut], tags=["me", "audit"])
async def my_audit(
    request: Request, account: CurrentAccount, session: SessionDep, page: Paging
) -> Page[MyAuditEntryOut]:
    result = await service.my_audit(
        session,
        account,
        before=page.after_id(),
        limit=page.limit,
        request_id=getattr(request.state, "request_id", None),
    )
    items = result.items
    return Page(
        items=items, next_cursor=encode_cursor([str(items[-1].id)]) if result.more else None
    )

"""API keys, support grants (AUZ-8) and the audit log over HTTP: parse, authorise, call."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.accounts.deps import CurrentAccount
from app.accounts.models import ApiKey
from app.authz import apikeys, grants, service
from app.authz.access import Access
from app.authz.audit import record_access
from app.authz.deps import Authorize
from app.authz.repository import AuditFilter
from app.authz.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    AuditEntryOut,
    MyAuditEntryOut,
    SupportGrantIn,
    SupportGrantOut,
)
from app.core.deps import ContextDep, SessionDep
from app.core.errors import NotFound
from app.core.fields import ApiDateTime
from app.core.ids import parse_id
from app.core.pagination import Page, PageParams, page_params, paginate
from app.core.vocabulary import Action, Purpose, RecordKind

router = APIRouter()
SECURITY = Purpose.SECURITY

GrantCreate = Annotated[
    Access, Depends(Authorize(RecordKind.SUPPORT_GRANT, Action.CREATE, purpose=SECURITY))
]
GrantList = Annotated[
    Access, Depends(Authorize(RecordKind.SUPPORT_GRANT, Action.LIST, purpose=SECURITY))
]
GrantDelete = Annotated[
    Access, Depends(Authorize(RecordKind.SUPPORT_GRANT, Action.DELETE, purpose=SECURITY))
]
AuditList = Annotated[
    Access, Depends(Authorize(RecordKind.AUDIT_ENTRY, Action.LIST, purpose=SECURITY))
]
AuditExport = Annotated[
    Access, Depends(Authorize(RecordKind.AUDIT_ENTRY, Action.EXPORT, purpose=SECURITY))
]
KeyCreate = Annotated[
    Access, Depends(Authorize(RecordKind.API_KEY, Action.CREATE, purpose=SECURITY))
]
KeyList = Annotated[Access, Depends(Authorize(RecordKind.API_KEY, Action.LIST, purpose=SECURITY))]
KeyDelete = Annotated[
    Access, Depends(Authorize(RecordKind.API_KEY, Action.DELETE, purpose=SECURITY))
]
Paging = Annotated[PageParams, Depends(page_params)]
KEYS_PATH = "/v1/tenants/{slug}/api-keys"


def _key_out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
    )


@router.post(KEYS_PATH, status_code=201, response_model=ApiKeyCreated, tags=["api keys"])
async def create_api_key(
    body: ApiKeyCreate, session: SessionDep, access: KeyCreate
) -> ApiKeyCreated:
    key, plaintext = await apikeys.create_key(
        session, access.tenant_id, body.name, access.account_id
    )
    await record_access(session, access, detail={"api_key_id": str(key.id), "name": key.name})
    return ApiKeyCreated(
        id=key.id, key=plaintext, name=key.name, prefix=key.prefix, created_at=key.created_at
    )


@router.get(KEYS_PATH, response_model=Page[ApiKeyOut], tags=["api keys"])
async def list_api_keys(session: SessionDep, access: KeyList, page: Paging) -> Page[ApiKeyOut]:
    rows = await apikeys.list_keys(
        session, access.tenant_id, after=page.after_id(), fetch=page.fetch
    )
    keys, next_cursor = paginate(rows, page.limit, cursor_of=lambda k: [str(k.id)])
    await record_access(session, access)
    return Page(items=[_key_out(k) for k in keys], next_cursor=next_cursor)


@router.delete(KEYS_PATH + "/{key_id}", status_code=204, tags=["api keys"])
async def revoke_api_key(key_id: str, session: SessionDep, access: KeyDelete) -> Response:
    parsed = parse_id(key_id)
    if parsed is None:
        raise NotFound("no such API key")
    await apikeys.revoke_key(session, access.tenant_id, parsed)
    await record_access(session, access, detail={"api_key_id": str(parsed)})
    return Response(status_code=204)


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
    items, next_cursor = await grants.list_grants(session, access, page)
    return Page(items=items, next_cursor=next_cursor)


@router.delete(
    "/v1/tenants/{slug}/support-grants/{grant_id}", status_code=204, tags=["support grants"]
)
async def revoke_support_grant(grant_id: str, access: GrantDelete, session: SessionDep) -> Response:
    await grants.revoke_grant(session, access, parse_id(grant_id))
    return Response(status_code=204)


async def audit_filter(
    person: Annotated[uuid.UUID | None, Query(description="account id: by or about")] = None,
    kind: Annotated[str | None, Query(max_length=32, description="record kind")] = None,
    since: Annotated[ApiDateTime | None, Query(alias="from", description="at or after")] = None,
    until: Annotated[ApiDateTime | None, Query(alias="to", description="before")] = None,
) -> AuditFilter:
    return AuditFilter(person=person, kind=kind, since=since, until=until)


Filters = Annotated[AuditFilter, Depends(audit_filter)]


@router.get("/v1/tenants/{slug}/audit", response_model=Page[AuditEntryOut], tags=["audit"])
async def list_audit(
    access: AuditList, session: SessionDep, page: Paging, filters: Filters
) -> Page[AuditEntryOut]:
    items, next_cursor = await service.list_audit(session, access, filters, page)
    return Page(items=items, next_cursor=next_cursor)


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
        service.export_audit(ctx.db, access, filters, format),
        media_type="text/csv; charset=utf-8" if format == "csv" else "application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/v1/me/audit", response_model=Page[MyAuditEntryOut], tags=["me", "audit"])
async def my_audit(
    request: Request, account: CurrentAccount, session: SessionDep, page: Paging
) -> Page[MyAuditEntryOut]:
    items, next_cursor = await service.my_audit(
        session, account, page, request_id=getattr(request.state, "request_id", None)
    )
    return Page(items=items, next_cursor=next_cursor)

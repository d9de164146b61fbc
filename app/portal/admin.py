"""School admin pages: the roster (search, filters, cursor paging) and the bulk import
(upload -> dry-run plan and row errors -> apply), with the API's decisions and audit."""

from __future__ import annotations

import base64
import binascii
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz import apikeys
from app.authz.audit import record_access
from app.core.deps import ContextDep, SessionDep
from app.core.pagination import PageParams, decode_cursor
from app.core.phones import InvalidPhone, normalize
from app.core.vocabulary import Action, Purpose, RecordKind, Role
from app.portal.access import access_to, member_in
from app.portal.deps import FormOfSession, SignedIn, portal_settings
from app.portal.i18n import gettext_for
from app.portal.render import language, page
from app.portal.routing import PortalRoute
from app.roster.imports import runs
from app.roster.imports.service import import_roster
from app.roster.members import service as members
from app.tenancy.models import MembershipStatus

router = APIRouter(
    prefix="/portal/s/{slug}/admin", route_class=PortalRoute, include_in_schema=False
)
MANAGE = Purpose.TEACHING_MANAGEMENT
SECURITY = Purpose.SECURITY
PAGE_SIZE = 50
MAX_IMPORT_BYTES = 20 * 2**20
ROLES = [r.value for r in Role]
STATUSES = [s.value for s in MembershipStatus]


@router.get("/members")
async def member_list(
    request: Request,
    slug: str,
    me: SignedIn,
    session: SessionDep,
    ctx: ContextDep,
    q: str = "",
    role: str = "",
    status: str = "",
    cursor: str | None = None,
) -> Response:
    """`q` is a full phone number when it reads as one, else a part of a name."""
    member = await member_in(session, me.account, slug)
    access = await access_to(request, session, member, RecordKind.MEMBER, Action.LIST, MANAGE)
    q = q.strip()
    try:
        phone = normalize(q, ctx.settings.default_region) if q else None
    except InvalidPhone:
        phone = None
    params = PageParams(limit=PAGE_SIZE, cursor=decode_cursor(cursor))
    rows, next_cursor = await members.member_search_page(
        session,
        ctx.keys,
        access,
        params,
        role=role if role in ROLES else None,
        status=status if status in STATUSES else None,
        name=None if phone or not q else q,
        phone_e164=phone,
    )
    await record_access(session, access, (a.id for _, a in rows))
    template = (
        "admin/_member_rows.html" if request.headers.get("hx-request") else "admin/members.html"
    )
    return page(
        request,
        template,
        tenant=member.tenant,
        rows=rows,
        next_cursor=next_cursor,
        q=q,
        role=role,
        member_status=status,
        roles=ROLES,
        statuses=STATUSES,
    )


@router.get("/import")
async def import_form(request: Request, slug: str, me: SignedIn, session: SessionDep) -> Response:
    member = await member_in(session, me.account, slug)
    await access_to(request, session, member, RecordKind.MEMBER, Action.CREATE, MANAGE)
    return page(request, "admin/import.html", tenant=member.tenant, result=None)


@router.post("/import")
async def import_upload(
    request: Request,
    slug: str,
    me: FormOfSession,
    session: SessionDep,
    ctx: ContextDep,
    step: Annotated[str, Form()] = "dry_run",
    file: Annotated[UploadFile | None, File()] = None,
    held: Annotated[str, Form()] = "",
) -> Response:
    """A dry run shows the plan and every row error; apply writes it (nothing on any error)."""
    member = await member_in(session, me.account, slug)
    access = await access_to(request, session, member, RecordKind.MEMBER, Action.CREATE, MANAGE)
    _ = gettext_for(language(request))
    data = await file.read(MAX_IMPORT_BYTES + 1) if file is not None and file.filename else b""
    if not data and held:
        try:
            data = base64.b64decode(held.encode(), validate=True)
        except binascii.Error:
            data = b""
    if not data or len(data) > MAX_IMPORT_BYTES:
        errors = {"file": _("Choose a roster file (CSV or OneRoster zip) of at most 20 MiB.")}
        return page(
            request,
            "admin/import.html",
            status=422,
            tenant=member.tenant,
            result=None,
            errors=errors,
        )
    dry_run = step != "apply"
    if not dry_run and len(data) > portal_settings(request).import_inline_bytes:
        run = await runs.start_run(session, access, data)
        return RedirectResponse(f"/portal/s/{slug}/admin/import/runs/{run.id}", status_code=303)
    result, writes = await import_roster(
        session,
        ctx.keys,
        access.tenant,
        access.account_id,
        data,
        dry_run=dry_run,
        region=ctx.settings.default_region,
    )
    if not dry_run and not result.errors:
        await record_access(
            session, access, writes.subjects, detail={"import": result.plan.model_dump()}
        )
    return page(
        request,
        "admin/import.html",
        status=422 if result.errors else 200,
        tenant=member.tenant,
        result=result,
        row_errors=[asdict(e) for e in result.errors],
        applied=not dry_run and not result.errors,
        held=base64.b64encode(data).decode() if dry_run and not result.errors else "",
    )


@router.get("/import/runs/{run_id}")
async def import_run(
    request: Request, slug: str, run_id: str, me: SignedIn, session: SessionDep
) -> Response:
    """A large import applied by a job: its state, polled by htmx until it ends (a plain
    reload without JavaScript), then its plan or its row errors."""
    member = await member_in(session, me.account, slug)
    access = await access_to(request, session, member, RecordKind.MEMBER, Action.CREATE, MANAGE)
    run = await runs.run_of(session, access.tenant_id, run_id)
    template = (
        "admin/_import_run.html" if request.headers.get("hx-request") else ("admin/import_run.html")
    )
    return page(request, template, tenant=member.tenant, run=run,
                finished=run.status in runs.FINISHED)  # fmt: skip


@router.get("/api-keys")
async def api_keys(request: Request, slug: str, me: SignedIn, session: SessionDep) -> Response:
    return await _keys_page(request, session, me, slug, None)


async def _keys_page(
    request: Request, session: AsyncSession, me: Any, slug: str, shown: str | None
) -> Response:
    member = await member_in(session, me.account, slug)
    access = await access_to(request, session, member, RecordKind.API_KEY, Action.LIST, SECURITY)
    keys = await apikeys.list_keys(session, access.tenant_id, after=None, fetch=200)
    await record_access(session, access)
    return page(request, "admin/api_keys.html", tenant=member.tenant, keys=keys, shown=shown)


@router.post("/api-keys")
async def create_api_key(
    request: Request,
    slug: str,
    me: FormOfSession,
    session: SessionDep,
    name: Annotated[str, Form()] = "classroom",
) -> Response:
    """The key is shown on this one answer, never again (it is stored hashed)."""
    member = await member_in(session, me.account, slug)
    access = await access_to(request, session, member, RecordKind.API_KEY, Action.CREATE, SECURITY)
    key, plaintext = await apikeys.create_key(
        session, access.tenant_id, name.strip()[:100] or "classroom", access.account_id
    )
    await record_access(session, access, detail={"api_key_id": str(key.id), "name": key.name})
    response = await _keys_page(request, session, me, slug, plaintext)
    response.headers["Cache-Control"] = "no-store"
    return response

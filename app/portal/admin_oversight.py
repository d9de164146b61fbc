"""School admin pages for oversight: support grants to platform staff (AUZ-8), the rights
requests routed to the school with their due dates (list, decide), and the audit log with
filters. Each calls what the API route calls, with its decision, purpose and audit."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.service import find_account
from app.authz import grants
from app.authz import service as audit_log
from app.authz.repository import AuditFilter
from app.authz.schemas import SupportGrantIn
from app.core.deps import ContextDep, SessionDep
from app.core.ids import parse_id
from app.core.pagination import PageParams, decode_cursor
from app.core.phones import InvalidPhone, normalize
from app.core.vocabulary import Action, Purpose, RecordKind
from app.portal.access import access_to, member_in
from app.portal.deps import FormOfSession, SignedIn
from app.portal.forms import FieldErrors, local_datetime, refused
from app.portal.i18n import gettext_for
from app.portal.render import language, page
from app.portal.routing import PortalRoute
from app.rights import handling
from app.rights.deps import CalendarDep
from app.rights.handling import Flag
from app.rights.models import RefusalException
from app.rights.schemas import DecideIn, Decision
from app.rights.views import school_request_out

router = APIRouter(
    prefix="/portal/s/{slug}/admin", route_class=PortalRoute, include_in_schema=False
)
SECURITY, RIGHTS = Purpose.SECURITY, Purpose.RIGHTS_HANDLING
PAGE_SIZE = 50
KINDS = [k.value for k in RecordKind]
PURPOSES = [p.value for p in Purpose]
Text = Annotated[str, Form()]


def _page(cursor: str | None) -> PageParams:
    return PageParams(limit=PAGE_SIZE, cursor=decode_cursor(cursor))


# --- support grants -------------------------------------------------------------------


async def _grants_page(
    request: Request, session: AsyncSession, slug: str, me: Any,
    errors: FieldErrors, sent: dict[str, Any],
) -> Response:  # fmt: skip
    member = await member_in(session, me.account, slug)
    access = await access_to(
        request, session, member, RecordKind.SUPPORT_GRANT, Action.LIST, SECURITY
    )
    shown, _cursor = await grants.list_grants(session, access, PageParams(limit=200, cursor=None))
    return page(request, "admin/support_grants.html", status=422 if errors else 200,
                tenant=member.tenant, grants=shown, errors=errors, values=sent,
                kinds=KINDS, purposes=PURPOSES)  # fmt: skip


@router.get("/support-grants")
async def support_grants(
    request: Request, slug: str, me: SignedIn, session: SessionDep
) -> Response:
    return await _grants_page(request, session, slug, me, {}, {"record_kinds": []})


@router.post("/support-grants")
async def grant_support(
    request: Request,
    slug: str,
    me: FormOfSession,
    session: SessionDep,
    ctx: ContextDep,
    staff_phone: Text = "",
    record_kinds: Annotated[list[str] | None, Form()] = None,
    purpose: Text = "",
    expires_at: Text = "",
    reason: Text = "",
) -> Response:
    """POST /v1/tenants/{slug}/support-grants: at most 7 days, named kinds and purpose."""
    member = await member_in(session, me.account, slug)
    access = await access_to(
        request, session, member, RecordKind.SUPPORT_GRANT, Action.CREATE, SECURITY
    )
    kinds = record_kinds or []

    async def work() -> None:
        body = SupportGrantIn.model_validate(
            {"staff_phone": staff_phone, "record_kinds": kinds, "purpose": purpose,
             "expires_at": local_datetime(expires_at), "reason": reason}
        )  # fmt: skip
        await grants.create_grant(session, ctx.keys, ctx.settings.default_region, access, body)

    errors = await refused(request, session, work)
    if errors:
        sent = {"staff_phone": staff_phone, "record_kinds": kinds, "purpose": purpose,
                "expires_at": expires_at, "reason": reason}  # fmt: skip
        return await _grants_page(request, session, slug, me, errors, sent)
    return RedirectResponse(f"/portal/s/{slug}/admin/support-grants", status_code=303)


@router.post("/support-grants/{grant_id}/revoke")
async def revoke_support(
    request: Request, slug: str, grant_id: str, me: FormOfSession, session: SessionDep
) -> Response:
    member = await member_in(session, me.account, slug)
    access = await access_to(
        request, session, member, RecordKind.SUPPORT_GRANT, Action.DELETE, SECURITY
    )
    await grants.revoke_grant(session, access, parse_id(grant_id))
    return RedirectResponse(f"/portal/s/{slug}/admin/support-grants", status_code=303)


# --- rights requests routed to the school ---------------------------------------------


async def _requests_page(
    request: Request, session: AsyncSession, calendar: CalendarDep, slug: str, me: Any,
    flag: str, cursor: str | None, errors: FieldErrors,
) -> Response:  # fmt: skip
    member = await member_in(session, me.account, slug)
    access = await access_to(
        request, session, member, RecordKind.RIGHTS_REQUEST, Action.LIST, RIGHTS
    )
    chosen = Flag(flag) if flag in {f.value for f in Flag} else None
    rows, next_cursor = await handling.school_requests(
        session, calendar, access, chosen, _page(cursor)
    )
    shown = [school_request_out(calendar, part, filed) for part, filed in rows]
    return page(request, "admin/requests.html", status=422 if errors else 200,
                tenant=member.tenant, requests=shown, flag=flag, next_cursor=next_cursor,
                flags=[f.value for f in Flag], decisions=[d.value for d in Decision],
                exceptions=[e.value for e in RefusalException], errors=errors)  # fmt: skip


@router.get("/requests")
async def school_requests(
    request: Request,
    slug: str,
    me: SignedIn,
    session: SessionDep,
    calendar: CalendarDep,
    flag: str = "",
    cursor: str | None = None,
) -> Response:
    """GET /v1/tenants/{slug}/requests: newest first, flagged due soon or overdue."""
    return await _requests_page(request, session, calendar, slug, me, flag, cursor, {})


@router.post("/requests/{part_id}/decide")
async def decide_request(
    request: Request,
    slug: str,
    part_id: str,
    me: FormOfSession,
    session: SessionDep,
    calendar: CalendarDep,
    decision: Text = "",
    reason: Text = "",
    exception: Text = "",
) -> Response:
    member = await member_in(session, me.account, slug)
    access = await access_to(
        request, session, member, RecordKind.RIGHTS_REQUEST, Action.DECIDE, RIGHTS
    )

    async def work() -> None:
        body = DecideIn.model_validate(
            {"decision": decision, "reason": reason or None, "exception": exception or None}
        )
        await handling.decide_school_part(session, access, part_id, body)

    errors = await refused(request, session, work)
    if errors:
        errors = {f"{part_id}-{name}": message for name, message in errors.items()}
        return await _requests_page(request, session, calendar, slug, me, "", None, errors)
    return RedirectResponse(f"/portal/s/{slug}/admin/requests", status_code=303)


# --- the audit log --------------------------------------------------------------------


async def _person(session: AsyncSession, ctx: Any, raw: str) -> uuid.UUID | None:
    """A full phone number or an account id; None when it names nobody."""
    parsed = parse_id(raw)
    if parsed is not None:
        return parsed
    try:
        e164 = normalize(raw, ctx.settings.default_region)
    except InvalidPhone:
        return None
    account = await find_account(session, ctx.keys, e164)
    return account.id if account else None


@router.get("/audit")
async def audit(
    request: Request,
    slug: str,
    me: SignedIn,
    session: SessionDep,
    ctx: ContextDep,
    person: str = "",
    kind: str = "",
    since: str = "",
    until: str = "",
    cursor: str | None = None,
) -> Response:
    """GET /v1/tenants/{slug}/audit: by or about a person, a record kind, from/to, paged."""
    member = await member_in(session, me.account, slug)
    access = await access_to(
        request, session, member, RecordKind.AUDIT_ENTRY, Action.LIST, SECURITY
    )
    _ = gettext_for(language(request))
    errors: FieldErrors = {}
    who = await _person(session, ctx, person.strip()) if person.strip() else None
    if person.strip() and who is None:
        errors["person"] = _("Nobody with this phone number or id.")
    bounds = {}
    for name, raw in (("since", since), ("until", until)):
        bounds[name] = local_datetime(raw) if raw else None
        if raw and bounds[name] is None:
            errors[name] = _("Enter a date and time.")
    entries: list[Any] = []
    next_cursor = None
    if not errors:
        filters = AuditFilter(person=who, kind=kind if kind in KINDS else None,
                              since=bounds["since"], until=bounds["until"])  # fmt: skip
        entries, next_cursor = await audit_log.list_audit(session, access, filters, _page(cursor))
    query = {"person": person, "kind": kind, "since": since, "until": until}
    return page(request, "admin/audit.html", status=422 if errors else 200,
                tenant=member.tenant, entries=entries, next_cursor=next_cursor, errors=errors,
                values=query, kinds=KINDS)  # fmt: skip

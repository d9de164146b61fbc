"""School admin pages for one person and the whole roster: register one person on the
school's consent attestation (a guardian for an under-14), and the roster export download
(OneRoster zip or roster.csv). Same services, decisions, purposes and audit as the API."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.access import Access
from app.authz.audit import record_access
from app.core import clock, csvout
from app.core.context import ServiceContext
from app.core.deps import ContextDep, SessionDep
from app.core.errors import NotFound
from app.core.phones import normalize_field
from app.core.vocabulary import Action, Purpose, RecordKind
from app.portal.access import access_to, member_in
from app.portal.deps import FormOfSession, SignedIn
from app.portal.forms import FieldErrors, refused
from app.portal.render import page
from app.portal.routing import PortalRoute
from app.roster.imports.export import ExportFormat, export_roster
from app.roster.members import service as members
from app.roster.schemas import MemberCreate

router = APIRouter(
    prefix="/portal/s/{slug}/admin", route_class=PortalRoute, include_in_schema=False
)
MANAGE = Purpose.TEACHING_MANAGEMENT
PERSON_ROLES = ["student", "teacher", "assistant", "guardian"]
AGE_BANDS = ["under14", "14to17", "adult"]
GIVEN_BY = ["self", "guardian"]
METHODS = ["paper_form", "in_person", "online"]
Text = Annotated[str, Form()]


def _given_at(day: str) -> str:
    """A date from the form is that day at noon, Beijing time; anything else as typed."""
    if len(day) == 10:
        try:
            return datetime.combine(datetime.fromisoformat(day).date(), time(12)).isoformat() + (
                "+08:00"
            )
        except ValueError:
            return day
    return day


async def _register_page(
    request: Request,
    session: AsyncSession,
    slug: str,
    me: Any,
    errors: FieldErrors,
    sent: dict[str, str],
    done: Any = None,
) -> Response:
    member = await member_in(session, me.account, slug)
    await access_to(request, session, member, RecordKind.MEMBER, Action.CREATE, MANAGE)
    values = {
        "notice_version": member.tenant.notice_version,
        "given_at": clock.now().date().isoformat(),
        **sent,
    }
    return page(
        request,
        "admin/register.html",
        status=422 if errors else 200,
        tenant=member.tenant,
        errors=errors,
        values=values,
        done=done,
        person_roles=PERSON_ROLES,
        age_bands=AGE_BANDS,
        given_by=GIVEN_BY,
        methods=METHODS,
    )


@router.get("/members/new")
async def register_form(request: Request, slug: str, me: SignedIn, session: SessionDep) -> Response:
    return await _register_page(request, session, slug, me, {}, {})


async def _register_person(
    session: AsyncSession, ctx: ServiceContext, access: Access, sent: dict[str, str]
) -> members.Registered:
    """What POST /v1/tenants/{slug}/members does with its body (MIN-1/2, PRX-2)."""
    body = MemberCreate.model_validate(
        {
            "phone": sent["phone"],
            "role": sent["role"],
            "display_name": sent["display_name"].strip() or None,
            "age_band": sent["age_band"] or None,
            "guardian_phone": sent["guardian_phone"].strip() or None,
            "consent": {
                "given_by": sent["consent_given_by"],
                "method": sent["consent_method"],
                "notice_version": sent["notice_version"],
                "given_at": _given_at(sent["given_at"]),
            },
        }
    )
    region = ctx.settings.default_region
    e164 = normalize_field(body.phone or "", "phone", region)  # the form asks for a phone
    guardian = (
        normalize_field(body.guardian_phone, "guardian_phone", region)
        if body.guardian_phone
        else None
    )
    members.check_registration(
        role=body.role, age_band=body.age_band, phone=e164, guardian_phone=guardian,
        consent=body.consent,
    )  # fmt: skip
    done = await members.register(
        session, ctx.keys, access.tenant, access.account_id, e164=e164, role=body.role,
        display_name=body.display_name, age_band=body.age_band, guardian_e164=guardian,
        consent=body.consent,
    )  # fmt: skip
    await record_access(session, access, [done.account.id], detail={"created": done.created})
    return done


@router.post("/members/new")
async def register(
    request: Request,
    slug: str,
    me: FormOfSession,
    session: SessionDep,
    ctx: ContextDep,
    phone: Text = "",
    role: Text = "",
    display_name: Text = "",
    age_band: Text = "",
    guardian_phone: Text = "",
    consent_given_by: Text = "self",
    consent_method: Text = "",
    consent_notice_version: Text = "",
    consent_given_at: Text = "",
) -> Response:
    """The register form: the API's checks, errors beside their field, nothing written."""
    member = await member_in(session, me.account, slug)
    access = await access_to(request, session, member, RecordKind.MEMBER, Action.CREATE, MANAGE)
    sent = {
        "phone": phone, "role": role, "display_name": display_name, "age_band": age_band,
        "guardian_phone": guardian_phone, "consent_given_by": consent_given_by,
        "consent_method": consent_method, "notice_version": consent_notice_version,
        "given_at": consent_given_at,
    }  # fmt: skip
    registered: list[members.Registered] = []

    async def work() -> None:
        registered.append(await _register_person(session, ctx, access, sent))

    errors = await refused(request, session, work)
    if errors:
        return await _register_page(request, session, slug, me, errors, sent)
    created = "1" if registered[0].created else "0"
    return RedirectResponse(
        f"/portal/s/{slug}/admin/members/new?registered={created}", status_code=303
    )


@router.get("/export")
async def export_page(request: Request, slug: str, me: SignedIn, session: SessionDep) -> Response:
    member = await member_in(session, me.account, slug)
    await access_to(request, session, member, RecordKind.MEMBER, Action.EXPORT, MANAGE)
    return page(request, "admin/export.html", tenant=member.tenant)


@router.get("/export/{filename}")
async def export_download(
    request: Request, slug: str, filename: str, me: SignedIn, session: SessionDep, ctx: ContextDep
) -> Response:
    """GET /v1/tenants/{slug}/roster/export: the whole roster, audited per person."""
    formats: dict[str, ExportFormat] = {"oneroster.zip": "oneroster", "roster.csv": "csv"}
    member = await member_in(session, me.account, slug)
    access = await access_to(request, session, member, RecordKind.MEMBER, Action.EXPORT, MANAGE)
    if filename not in formats:
        raise NotFound("no such export")
    fmt = formats[filename]
    data, subjects = await export_roster(session, ctx.keys, access.tenant, fmt)
    await record_access(session, access, subjects, detail={"format": fmt})
    return Response(
        data,
        media_type=csvout.MEDIA_TYPE if fmt == "csv" else "application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{slug}-{filename}"',
            "Cache-Control": "no-store",
        },
    )

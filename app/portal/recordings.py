"""Recordings in the portal: the school admin's grants on a recording (to one person or a
course, until a time; AUZ-5, VIS-2), and a student's or guardian's recording played in
the page from a signed link (purpose learning_record). The recordings router's services,
decisions and audit."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.repository import account_by_id
from app.analytics.deps import school_of_record
from app.classroom.files import service as files
from app.classroom.files.schemas import GrantCreate, GrantOut
from app.core.deps import ContextDep, SessionDep
from app.core.ids import parse_id
from app.core.pagination import PageParams
from app.core.vocabulary import Action, Purpose, RecordKind
from app.portal.access import access_to, member_in
from app.portal.deps import FormOfSession, SignedIn
from app.portal.forms import FieldErrors, local_datetime, refused
from app.portal.render import page
from app.portal.routing import PortalRoute
from app.roster import service as roster
from app.tenancy.deps import Member
from app.tenancy.repository import live_roles

router = APIRouter(prefix="/portal", route_class=PortalRoute, include_in_schema=False)
MANAGE = Purpose.TEACHING_MANAGEMENT
RECORDING = files.RECORDING  # the kind column says "recording"
ALL = PageParams(limit=200, cursor=None)
Text = Annotated[str, Form()]


async def _grants_page(
    request: Request, session: AsyncSession, slug: str, me: Any, file_id: str,
    errors: FieldErrors, sent: dict[str, str],
) -> Response:  # fmt: skip
    member = await member_in(session, me.account, slug)
    access = await access_to(request, session, member, RecordKind.RECORDING, Action.GRANT, MANAGE)
    recording = await files.visible_file(session, access, file_id, RECORDING)
    rows, _cursor = await files.list_grants(session, access, recording, ALL)
    shown = []
    for row in rows:
        who = await account_by_id(session, row.account_id) if row.account_id else None
        shown.append((GrantOut.of(row), who))
    courses_access = await access_to(
        request, session, member, RecordKind.COURSE, Action.LIST, MANAGE
    )
    courses, _cursor = await roster.course_page(session, courses_access, ALL)
    return page(request, "admin/recording_grants.html", status=422 if errors else 200,
                tenant=member.tenant, recording=recording, grants=shown, courses=courses,
                errors=errors, values=sent)  # fmt: skip


@router.get("/s/{slug}/recordings/{file_id}/grants")
async def recording_grants(
    request: Request, slug: str, file_id: str, me: SignedIn, session: SessionDep
) -> Response:
    """GET .../recordings/{id}/grants: who may watch through a grant, to see and revoke."""
    return await _grants_page(request, session, slug, me, file_id, {}, {})


@router.post("/s/{slug}/recordings/{file_id}/grants")
async def grant_recording(
    request: Request,
    slug: str,
    file_id: str,
    me: FormOfSession,
    session: SessionDep,
    ctx: ContextDep,
    phone: Text = "",
    course_id: Text = "",
    expires_at: Text = "",
) -> Response:
    member = await member_in(session, me.account, slug)
    access = await access_to(request, session, member, RecordKind.RECORDING, Action.GRANT, MANAGE)

    async def work() -> None:
        body = GrantCreate.model_validate(
            {"phone": phone.strip() or None, "course_id": course_id or None,
             "expires_at": local_datetime(expires_at)}
        )  # fmt: skip
        recording = await files.visible_file(session, access, file_id, RECORDING)
        await files.create_grant(
            session, ctx.keys, ctx.settings, access, recording,
            phone=body.phone, course_id=body.course_id, expires_at=body.expires_at,
        )  # fmt: skip

    errors = await refused(request, session, work)
    if errors:
        sent = {"phone": phone, "course_id": course_id, "expires_at": expires_at}
        return await _grants_page(request, session, slug, me, file_id, errors, sent)
    return RedirectResponse(f"/portal/s/{slug}/recordings/{file_id}/grants", status_code=303)


@router.post("/s/{slug}/recordings/{file_id}/grants/{grant_id}/revoke")
async def revoke_recording_grant(
    request: Request, slug: str, file_id: str, grant_id: str, me: FormOfSession,
    session: SessionDep,
) -> Response:  # fmt: skip
    member = await member_in(session, me.account, slug)
    access = await access_to(request, session, member, RecordKind.RECORDING, Action.GRANT, MANAGE)
    recording = await files.visible_file(session, access, file_id, RECORDING)
    await files.revoke(session, access, recording, grant_id)
    return RedirectResponse(f"/portal/s/{slug}/recordings/{file_id}/grants", status_code=303)


@router.get("/me/recordings/{file_id}")
async def my_recording(
    request: Request,
    file_id: str,
    me: SignedIn,
    session: SessionDep,
    ctx: ContextDep,
    school: str | None = None,
    student: str | None = None,
) -> Response:
    """A recording I (or my child) may watch through a grant, played from a signed link."""
    tenant = await school_of_record(session, me.account, school)
    member = Member(tenant, me.account, await live_roles(session, tenant.id, me.account.id))
    access = await access_to(
        request, session, member, RecordKind.RECORDING, Action.READ, Purpose.LEARNING_RECORD
    )
    file = await files.visible_file(session, access, file_id, RECORDING)
    url, expires = await files.link_for(session, ctx.settings, ctx.keys, access, file)
    back = "/portal/me/" + (f"?student={student}" if student and parse_id(student) else "")
    return page(request, "me/recording.html", file=file, url=url, expires=expires, back=back)

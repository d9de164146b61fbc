"""The student's and guardian's pages: learning record, consents, requests, who read my data.

Each calls what the `/v1/me/...` route calls, with the same subject rules (a guardian acts
for a child through `?student=`), decisions, purposes and audit entries.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Account
from app.analytics import record
from app.analytics.deps import record_decisions, school_of_record
from app.authz import service as authz_service
from app.authz.audit import record_access
from app.core.db import set_account, set_tenant
from app.core.deps import ContextDep, SessionDep
from app.core.errors import DomainError, NotFound
from app.core.pagination import PageParams
from app.core.vocabulary import ConsentCategory, Role
from app.portal.charts import line_chart
from app.portal.deps import FormOfSession, SignedIn
from app.portal.i18n import gettext_for
from app.portal.render import language, page
from app.portal.routing import PortalRoute
from app.privacy import consent
from app.privacy.subjects import Subject, resolve_subject
from app.rights import service as rights
from app.rights.deps import CalendarDep
from app.rights.export import repository as export_repository
from app.rights.export.router import download_response
from app.rights.models import RequestType
from app.rights.schemas import RequestIn
from app.rights.views import request_out
from app.roster.members import service as members
from app.tenancy.deps import Member
from app.tenancy.repository import live_roles, memberships_of_account

router = APIRouter(prefix="/portal/me", route_class=PortalRoute, include_in_schema=False)
FIRST_PAGE = PageParams(limit=50, cursor=None)


async def children(session: AsyncSession, account: Account) -> list[Account]:
    """Every child a guardian acts for, across their schools (for the switcher)."""
    await set_account(session, account.id)
    found: dict[object, Account] = {}
    for membership, tenant in await memberships_of_account(session, account.id):
        if membership.role == Role.GUARDIAN:
            await set_tenant(session, tenant.id)
            for child in await members.children_of(session, tenant, account.id):
                found.setdefault(child.id, child)
    return list(found.values())


def _suffix(student: str | None) -> str:
    return f"?student={student}" if student else ""


async def _common(session: AsyncSession, account: Account, student: str | None) -> dict[str, Any]:
    kids = await children(session, account)
    return {"kids": kids, "student": student, "suffix": _suffix(student)}


async def _record(
    request: Request, me: Any, session: AsyncSession, student: str | None
) -> tuple[Any, dict[str, Any], Any]:
    """GET /v1/me/record's reading: my (or my child's) record, audited the same way."""
    common = await _common(session, me.account, student)
    kids: list[Account] = common["kids"]
    if student is None and kids and not await _is_student(session, me.account):
        student = str(kids[0].id)  # a guardian who is no student starts on their first child
        common.update(student=student, suffix=_suffix(student))
    await set_account(session, me.account.id)
    slugs = [t.slug for _, t in await memberships_of_account(session, me.account.id)]
    tenant = await school_of_record(
        session, me.account, request.query_params.get("school") or (slugs[0] if slugs else None)
    )
    member = Member(tenant, me.account, await live_roles(session, tenant.id, me.account.id))
    decided = await record_decisions(request, session, member, False)
    subject = await record.subject_of(session, decided.rollup, common["student"])
    shown, classmates = await record.learning_record(session, decided, subject)
    await record_access(session, decided.rollup, [subject], detail={"view": "learning_record"})
    if decided.class_visible is not None and classmates:
        await record_access(
            session, decided.class_visible, classmates, detail={"view": "learning_record"}
        )
    return shown, common, tenant


@router.get("/")
async def learning_record(
    request: Request, me: SignedIn, session: SessionDep, student: str | None = None
) -> Response:
    shown, common, tenant = await _record(request, me, session, student)
    _ = gettext_for(language(request))
    chart = line_chart([x.activity_score for x in shown.lessons], 100, _("My activity score"))
    return page(request, "me/record.html", shown=shown, chart=chart, school=tenant.slug, **common)


@router.get("/timetable")
async def timetable(
    request: Request, me: SignedIn, session: SessionDep, student: str | None = None
) -> Response:
    """The lessons to come, from the same record read (a guardian: the chosen child's)."""
    shown, common, tenant = await _record(request, me, session, student)
    return page(request, "me/timetable.html", shown=shown, school=tenant.slug, **common)


async def _is_student(session: AsyncSession, account: Account) -> bool:
    await set_account(session, account.id)
    rows = await memberships_of_account(session, account.id)
    return any(m.role == Role.STUDENT for m, _t in rows)


@router.get("/consents")
async def consents(
    request: Request, me: SignedIn, session: SessionDep, student: str | None = None
) -> Response:
    common = await _common(session, me.account, student)
    subject = await resolve_subject(session, me.account, student)
    states = await consent.consents_of(session, subject)
    return page(request, "me/consents.html", states=states, **common)


@router.post("/consents/{category}/{change}")
async def change_consent(
    request: Request,
    category: ConsentCategory,
    change: str,
    me: FormOfSession,
    session: SessionDep,
    school: Annotated[str, Form()],
    student: str | None = None,
) -> Response:
    subject = await resolve_subject(session, me.account, student)
    rid = getattr(request.state, "request_id", None)
    if change == "withdraw":
        await consent.withdraw(session, subject, category, school, rid)
    elif change == "grant":
        await consent.grant(session, subject, category, school, rid)
    else:
        raise NotFound("no such change")
    return RedirectResponse(f"/portal/me/consents{_suffix(student)}", status_code=303)


async def _requests_page(
    request: Request,
    session: AsyncSession,
    calendar: CalendarDep,
    subject: Subject,
    common: dict[str, Any],
    status: int = 200,
    errors: dict[str, str] | None = None,
) -> Response:
    filed, _cursor = await rights.requests_of(session, calendar, subject, FIRST_PAGE)
    shown = [request_out(calendar, f) for f in filed]
    types = [t.value for t in RequestType]
    return page(
        request,
        "me/requests.html",
        status=status,
        requests=shown,
        types=types,
        errors=errors or {},
        **common,
    )


@router.get("/requests")
async def my_requests(
    request: Request,
    me: SignedIn,
    session: SessionDep,
    calendar: CalendarDep,
    student: str | None = None,
) -> Response:
    common = await _common(session, me.account, student)
    subject = await resolve_subject(session, me.account, student)
    return await _requests_page(request, session, calendar, subject, common)


@router.post("/requests")
async def file_request(
    request: Request,
    me: FormOfSession,
    session: SessionDep,
    ctx: ContextDep,
    calendar: CalendarDep,
    type: Annotated[str, Form()],
    details: Annotated[str, Form()] = "",
    grounds: Annotated[str, Form()] = "",
    sms_code: Annotated[str, Form()] = "",
    student: str | None = None,
) -> Response:
    subject = await resolve_subject(session, me.account, student)
    try:
        body = RequestIn.model_validate(
            {
                "type": type,
                "details": details or None,
                "grounds": grounds or None,
                "sms_code": sms_code or None,
            }
        )
        rid = getattr(request.state, "request_id", None)
        # A refusal leaves nothing behind (the service's savepoint).
        await rights.file_request(session, ctx, calendar, subject, body, rid, language(request))
    except (DomainError, ValueError) as exc:
        field = exc.extra.get("field", "type") if isinstance(exc, DomainError) else "type"
        detail = exc.detail if isinstance(exc, DomainError) else str(exc).splitlines()[0]
        common = await _common(session, me.account, student)
        errors = {str(field): gettext_for(language(request))(detail)}
        return await _requests_page(request, session, calendar, subject, common, 422, errors)
    return RedirectResponse(f"/portal/me/requests{_suffix(student)}", status_code=303)


@router.get("/requests/{request_id}/download")
async def download(
    request_id: str, me: SignedIn, session: SessionDep, ctx: ContextDep, student: str | None = None
) -> Response:
    subject = await resolve_subject(session, me.account, student)
    filed = await rights.load(session, subject, request_id)
    export = await export_repository.export_for_request(session, filed.request.id)
    if export is None:
        raise NotFound("this request has no export")
    return await download_response(session, ctx, subject.actor, export)


@router.get("/audit")
async def who_read_my_data(request: Request, me: SignedIn, session: SessionDep) -> Response:
    entries, _cursor = await authz_service.my_audit(
        session, me.account, FIRST_PAGE, request_id=getattr(request.state, "request_id", None)
    )
    common = await _common(session, me.account, None)
    return page(request, "me/audit.html", entries=entries, **common)

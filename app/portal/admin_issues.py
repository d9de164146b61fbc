"""School admin page for the roster's open items (disputed registrations, wrong courses,
minors reported without guardian consent) and the school's decision on the last (MIN-8).
Each calls what the API route calls, with its decision, purpose and audit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.audit import record_access
from app.core.deps import SessionDep
from app.core.errors import DomainError
from app.core.pagination import PageParams
from app.core.vocabulary import Action, Purpose, RecordKind
from app.portal.access import access_to, member_in
from app.portal.deps import FormOfSession, SignedIn
from app.portal.forms import FieldErrors, from_problem, from_validation
from app.portal.i18n import gettext_for
from app.portal.render import language, page
from app.portal.routing import PortalRoute
from app.rights.deps import CalendarDep
from app.rights.minors import service as minors
from app.rights.minors.schemas import GuardianConsent, MinorDecisionIn
from app.roster.issues import service as issues

router = APIRouter(
    prefix="/portal/s/{slug}/admin", route_class=PortalRoute, include_in_schema=False
)
FIRST_PAGE = PageParams(limit=100, cursor=None)


async def _issues_page(
    request: Request, session: AsyncSession, slug: str, me: SignedIn, errors: FieldErrors
) -> Response:
    member = await member_in(session, me.account, slug)
    access = await access_to(
        request, session, member, RecordKind.MEMBER, Action.UPDATE, Purpose.TEACHING_MANAGEMENT
    )
    rows, _cursor = await issues.issue_page(session, access, FIRST_PAGE, status="open")
    await record_access(session, access, (i.account_id for i in rows), action=Action.LIST)
    return page(request, "admin/issues.html", status=422 if errors else 200,
                tenant=member.tenant, issues=rows, errors=errors,
                answers=[c.value for c in GuardianConsent])  # fmt: skip


@router.get("/issues")
async def open_issues(request: Request, slug: str, me: SignedIn, session: SessionDep) -> Response:
    """GET /v1/tenants/{slug}/roster/issues: the open items, oldest first."""
    return await _issues_page(request, session, slug, me, {})


@router.post("/issues/{issue_id}/minor-consent")
async def decide_minor_consent(
    request: Request,
    slug: str,
    issue_id: str,
    me: FormOfSession,
    session: SessionDep,
    calendar: CalendarDep,
    consent: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    member = await member_in(session, me.account, slug)
    access = await access_to(
        request, session, member, RecordKind.MEMBER, Action.UPDATE, Purpose.TEACHING_MANAGEMENT
    )
    _ = gettext_for(language(request))
    try:
        body = MinorDecisionIn.model_validate({"consent": consent, "note": note or None})
        async with session.begin_nested():  # a refused decision leaves nothing behind
            await minors.decide(session, calendar, access, issue_id, body)
    except ValidationError as exc:
        errors = from_validation(exc, _)
    except DomainError as exc:
        if exc.status not in (409, 422):
            raise
        errors = from_problem(exc, _)
    else:
        return RedirectResponse(f"/portal/s/{slug}/admin/issues", status_code=303)
    named = {f"{issue_id}-{name}": message for name, message in errors.items()}
    return await _issues_page(request, session, slug, me, named)

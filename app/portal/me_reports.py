"""The minor's or guardian's report of using a school's service without guardian consent
(MIN-7): the same service as POST /v1/me/reports/minor-consent (`?student=` for a child)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from pydantic import ValidationError

from app.core.deps import SessionDep
from app.core.errors import DomainError
from app.core.vocabulary import Role
from app.portal.deps import FormOfSession, SignedIn
from app.portal.forms import FieldErrors, from_problem, from_validation
from app.portal.i18n import gettext_for
from app.portal.me import children
from app.portal.render import language, page
from app.portal.routing import PortalRoute
from app.privacy.subjects import Subject, resolve_subject
from app.rights.minors import service as minors
from app.rights.minors.schemas import MinorReportIn
from app.roster.models import RosterIssue

router = APIRouter(prefix="/portal/me", route_class=PortalRoute, include_in_schema=False)


def _schools(subject: Subject) -> list[tuple[str, str, str]]:
    """(slug, name, membership status) of the student's schools."""
    return [
        (s.tenant.slug, s.tenant.name, s.membership.status)
        for s in subject.schools
        if s.membership.role == Role.STUDENT
    ]


async def _page(
    request: Request,
    me: SignedIn,
    session: SessionDep,
    student: str | None,
    errors: FieldErrors,
    reported: RosterIssue | None = None,
) -> Response:
    kids = await children(session, me.account)
    subject = await resolve_subject(session, me.account, student)
    return page(request, "me/minor_consent.html", status=422 if errors else 200,
                schools=_schools(subject), errors=errors, reported=reported, kids=kids,
                student=student, suffix=f"?student={student}" if student else "")  # fmt: skip


@router.get("/minor-consent")
async def report_form(
    request: Request, me: SignedIn, session: SessionDep, student: str | None = None
) -> Response:
    return await _page(request, me, session, student, {})


@router.post("/minor-consent")
async def report(
    request: Request,
    me: FormOfSession,
    session: SessionDep,
    school: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    student: str | None = None,
) -> Response:
    _ = gettext_for(language(request))
    subject = await resolve_subject(session, me.account, student)
    rid = getattr(request.state, "request_id", None)
    try:
        body = MinorReportIn.model_validate({"school": school, "note": note or None})
        async with session.begin_nested():  # a refused report leaves nothing behind
            issue, _created = await minors.report(session, subject, body, rid)
    except ValidationError as exc:
        return await _page(request, me, session, student, from_validation(exc, _))
    except DomainError as exc:
        if exc.status not in (404, 409, 422):
            raise
        return await _page(request, me, session, student, from_problem(exc, _))
    return await _page(request, me, session, student, {}, reported=issue)

"""Shaping requests for the person, the school and platform staff (with their flags)."""

from __future__ import annotations

from datetime import date

from app.privacy.notices import today
from app.rights import deadlines
from app.rights.decisions import OUTCOME
from app.rights.filed import Filed
from app.rights.models import CLOSED, RequestStatus, RightsRequest, SchoolRightsRequest
from app.rights.schemas import RequestOut, RoutedPart, SchoolRequestOut, steps
from app.rights.service import PLATFORM
from app.rights.workdays import WorkdayCalendar


def _account_status(request: RightsRequest) -> str:
    if request.decision:
        return OUTCOME[request.decision].value  # type: ignore[index]
    return request.status if request.status not in CLOSED else RequestStatus.IN_PROGRESS


def _part(
    calendar: WorkdayCalendar, filed: Filed, part: SchoolRightsRequest, on: date
) -> RoutedPart:
    flags = deadlines.flags(calendar, part.status, part.due_on, on)
    return RoutedPart(
        controller=filed.schools[part.tenant_id].slug,
        id=part.id,
        status=part.status,
        decision=part.decision,
        reason=part.reason,
        exception=part.exception,
        due_on=part.due_on,
        provisional=part.provisional,
        due_soon=flags.due_soon,
        overdue=flags.overdue,
        history=steps(part.history),
    )


def _platform_part(calendar: WorkdayCalendar, request: RightsRequest, on: date) -> RoutedPart:
    status = _account_status(request)
    flags = deadlines.flags(calendar, status, request.due_on, on)
    own = [h for h in request.history if h.get("by_kind") == "platform"]
    return RoutedPart(
        controller=PLATFORM,
        id=request.id,
        status=status,
        decision=request.decision,
        reason=request.reason,
        exception=request.exception,
        due_on=request.due_on,
        provisional=request.provisional,
        due_soon=flags.due_soon,
        overdue=flags.overdue,
        history=steps(own),
    )


def request_out(calendar: WorkdayCalendar, filed: Filed) -> RequestOut:
    r, on = filed.request, today()
    flags = deadlines.flags(calendar, r.status, r.due_on, on)
    routed = [_platform_part(calendar, r, on)] if r.account_level else []
    routed += [_part(calendar, filed, p, on) for p in filed.parts]
    return RequestOut(
        id=r.id,
        type=r.type,
        status=r.status,
        details=r.details,
        grounds=r.grounds,
        erasure=r.erasure,
        received_on=r.received_on,
        due_on=r.due_on,
        provisional=r.provisional,
        due_soon=flags.due_soon,
        overdue=flags.overdue,
        repeat_of=r.repeat_of,
        by_guardian=r.filed_by != r.account_id,
        routed_to=routed,
        history=steps(r.history),
        created_at=r.created_at,
    )


def school_request_out(
    calendar: WorkdayCalendar, part: SchoolRightsRequest, request: RightsRequest
) -> SchoolRequestOut:
    flags = deadlines.flags(calendar, part.status, part.due_on, today())
    return SchoolRequestOut(
        id=part.id,
        request_id=request.id,
        account_id=part.account_id,
        type=part.type,
        status=part.status,
        details=request.details,
        grounds=request.grounds,
        decision=part.decision,
        reason=part.reason,
        exception=part.exception,
        due_on=part.due_on,
        provisional=part.provisional,
        due_soon=flags.due_soon,
        overdue=flags.overdue,
        repeat_of=request.repeat_of,
        history=steps(part.history),
        created_at=part.created_at,
    )

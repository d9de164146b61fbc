"""Deciding a part of a request and settling the request once every part is closed.

A refusal or a partial decision records its reason (RGT-20) and the exception of the closed
list it rests on (RGT-21); the same decision again is a retry; a different one after the
first is refused (409).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from app.core import clock
from app.core.errors import Conflict, Invalid, NotFound
from app.rights.history import append as _append
from app.rights.history import step
from app.rights.models import (
    CLOSED,
    RequestStatus,
    RequestType,
    RightsRequest,
    SchoolRightsRequest,
)
from app.rights.schemas import DecideIn, Decision

if TYPE_CHECKING:
    from app.rights.filed import Filed

OUTCOME = {
    Decision.APPROVE: RequestStatus.DONE,
    Decision.REFUSE: RequestStatus.REFUSED,
    Decision.PARTIAL: RequestStatus.PARTLY_DONE,
}


def settle(filed: Filed) -> None:
    """Closes the request once every part is closed: done, refused or partly done."""
    request = filed.request
    outcomes = [OUTCOME[Decision(request.decision)]] if request.decision else []
    if request.account_level and not request.decision:
        return
    outcomes += [RequestStatus(p.status) for p in filed.parts]
    if not outcomes or any(o not in CLOSED for o in outcomes) or request.status in CLOSED:
        return
    if all(o == RequestStatus.DONE for o in outcomes):
        final = RequestStatus.DONE
    elif all(o == RequestStatus.REFUSED for o in outcomes):
        final = RequestStatus.REFUSED
    else:
        final = RequestStatus.PARTLY_DONE
    request.status = final
    request.closed_at = clock.now()
    _append(request, step(final, None, "system", "every controller has decided"))


def check_decision(current: str | None, body: DecideIn) -> bool:
    """True if this decision is new; a repeat of the same decision is a retry (False)."""
    if body.decision == Decision.APPROVE:
        if body.exception is not None:
            raise Invalid("exception", "an approval answers the request: it names no exception")
    else:
        if not (body.reason and body.reason.strip()):
            raise Invalid("reason", "a refusal or partial decision records its reason (RGT-20)")
        if body.exception is None:
            raise Invalid(
                "exception", "a request goes unanswered only under a listed exception (RGT-21)"
            )
    if current is None:
        return True
    if current == body.decision:
        return False
    raise Conflict(f"this request was already decided: {current}", field="decision")


def decide_part(part: SchoolRightsRequest, decider: uuid.UUID, body: DecideIn) -> bool:
    if not check_decision(part.decision, body):
        return False
    outcome = OUTCOME[body.decision]
    part.decision, part.reason, part.status = body.decision, body.reason, outcome
    part.exception = body.exception
    part.decided_by, part.decided_at = decider, clock.now()
    _append(part, step(outcome, decider, "school", body.reason, body.exception))
    # TPS-8: Rostra carries the school's decision out as its processor.
    _append(part, step(outcome, None, "platform", "handed to Rostra to carry out (TPS-8)"))
    return True


def decide_account_part(request: RightsRequest, decider: uuid.UUID, body: DecideIn) -> bool:
    if not request.account_level:
        raise NotFound("no such request")
    if not check_decision(request.decision, body):
        return False
    request.decision, request.reason, request.exception = body.decision, body.reason, body.exception
    _append(request, step(OUTCOME[body.decision], decider, "platform", body.reason, body.exception))
    return True


def access_ready(filed: Filed, note: str = "access export ready") -> None:
    """The export's other end: the account part is done and the request settles."""
    request = filed.request
    if request.type != RequestType.ACCESS or request.decision:
        return
    request.decision = Decision.APPROVE
    _append(request, step(RequestStatus.DONE, None, "platform", note))
    settle(filed)

"""Deciding a part of a request and settling the request once every part is closed.

A refusal or a partial decision records its reason (RGT-20); the same decision again is a
retry; a different one after the first is refused (409).
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
from app.rights.schemas import Decision

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


def check_decision(current: str | None, decision: Decision, reason: str | None) -> bool:
    """True if this decision is new; a repeat of the same decision is a retry (False)."""
    if decision != Decision.APPROVE and not (reason and reason.strip()):
        raise Invalid("reason", "a refusal or partial decision records its reason (RGT-20)")
    if current is None:
        return True
    if current == decision:
        return False
    raise Conflict(f"this request was already decided: {current}", field="decision")


def decide_part(
    part: SchoolRightsRequest, decider: uuid.UUID, decision: Decision, reason: str | None
) -> bool:
    if not check_decision(part.decision, decision, reason):
        return False
    outcome = OUTCOME[decision]
    part.decision, part.reason, part.status = decision, reason, outcome
    part.decided_by, part.decided_at = decider, clock.now()
    _append(part, step(outcome, decider, "school", reason))
    # TPS-8: Rostra carries the school's decision out as its processor.
    _append(part, step(outcome, None, "platform", "handed to Rostra to carry out (TPS-8)"))
    return True


def decide_account_part(
    request: RightsRequest, decider: uuid.UUID, decision: Decision, reason: str | None
) -> bool:
    if not request.account_level:
        raise NotFound("no such request")
    if not check_decision(request.decision, decision, reason):
        return False
    request.decision, request.reason = decision, reason
    _append(request, step(OUTCOME[decision], decider, "platform", reason))
    return True


def access_ready(filed: Filed, note: str = "access export ready") -> None:
    """The export's other end: the account part is done and the request settles."""
    request = filed.request
    if request.type != RequestType.ACCESS or request.decision:
        return
    request.decision = Decision.APPROVE
    _append(request, step(RequestStatus.DONE, None, "platform", note))
    settle(filed)

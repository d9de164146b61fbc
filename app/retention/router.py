"""HTTP for retention: the periods in force and last sweeps, legal holds (school admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from app.authz.access import Access
from app.authz.deps import Authorize
from app.core.deps import SessionDep
from app.core.vocabulary import Action, Purpose, RecordKind
from app.retention import service
from app.retention import tasks as _tasks  # noqa: F401  (registers the daily sweep)
from app.retention.schemas import HoldIn, HoldOut, RetentionOut

router = APIRouter(tags=["retention"])
_KIND, _WHY = RecordKind.RETENTION, Purpose.SECURITY
ReadRetention = Annotated[Access, Depends(Authorize(_KIND, Action.READ, purpose=_WHY))]
PlaceHold = Annotated[Access, Depends(Authorize(_KIND, Action.CREATE, purpose=_WHY))]
LiftHold = Annotated[Access, Depends(Authorize(_KIND, Action.DELETE, purpose=_WHY))]


@router.get("/v1/tenants/{slug}/retention", response_model=RetentionOut)
async def retention(access: ReadRetention, session: SessionDep) -> RetentionOut:
    """Each category's period in force (the school's where it shortened one), the legal holds
    in force and the last sweeps with their counts and what holds kept (RET-3..5)."""
    return await service.retention_view(session, access)


@router.post("/v1/tenants/{slug}/holds", response_model=HoldOut, status_code=201)
async def place_hold(body: HoldIn, access: PlaceHold, session: SessionDep) -> HoldOut:
    """Suspend the sweep for the school, one person in it, or one category (RET-5)."""
    return service.hold_out(await service.place_hold(session, access, body))


@router.delete("/v1/tenants/{slug}/holds/{hold_id}", status_code=204)
async def lift_hold(hold_id: str, access: LiftHold, session: SessionDep) -> Response:
    await service.lift_hold(session, access, hold_id)
    return Response(status_code=204)

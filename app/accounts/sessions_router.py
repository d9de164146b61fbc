"""The person's devices and sessions (`/v1/me/sessions`, ACC-12/13)."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel

from app.accounts import sessions
from app.accounts.deps import CurrentAccount
from app.accounts.session_deps import CallerSessionId
from app.core.deps import SessionDep

router = APIRouter(tags=["me"])


class SessionOut(BaseModel):
    id: uuid.UUID
    device_name: str
    signed_in_via: str
    first_used_at: datetime
    last_used_at: datetime
    location: str | None
    current: bool


class SessionList(BaseModel):
    items: list[SessionOut]


@router.get("/v1/me/sessions", response_model=SessionList)
async def list_sessions(
    account: CurrentAccount, caller: CallerSessionId, session: SessionDep
) -> SessionList:
    rows = await sessions.list_sessions(session, account)
    return SessionList(
        items=[
            SessionOut(
                id=s.id,
                device_name=s.device_name,
                signed_in_via=s.signed_in_via,
                first_used_at=s.created_at,
                last_used_at=s.last_used_at,
                location=s.location,
                current=s.family_id == caller,
            )
            for s in rows
        ]
    )


@router.delete("/v1/me/sessions/{session_id}", status_code=204)
async def end_session(
    session_id: uuid.UUID, account: CurrentAccount, session: SessionDep
) -> Response:
    await sessions.end(session, account, session_id)
    return Response(status_code=204)

"""The person's devices and sessions (`/v1/me/sessions`, ACC-12/13)."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel

from app.accounts import sessions
from app.accounts.deps import CurrentAccount
from app.accounts.models import PlatformConsent
from app.accounts.session_deps import CallerSessionId
from app.core.config import Settings
from app.core.deps import ContextDep, SessionDep
from app.core.fields import ApiInput
from app.core.vocabulary import ConsentCategory

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


class LocationConsentIn(ApiInput):
    granted: bool


class LocationConsentOut(BaseModel):
    """Whether sessions record the city of their IP address (opt-in, ACC-12)."""

    category: ConsentCategory = ConsentCategory.LOCATION
    granted: bool
    granted_at: datetime | None
    lookup_configured: bool  # without a table of networks no city is ever recorded

    @classmethod
    def of(cls, consent: PlatformConsent | None, settings: Settings) -> LocationConsentOut:
        return cls(
            granted=consent is not None,
            granted_at=consent.granted_at if consent else None,
            lookup_configured=settings.session_location_table is not None,
        )


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


@router.get("/v1/me/sessions/location-consent", response_model=LocationConsentOut)
async def location_consent(
    account: CurrentAccount, ctx: ContextDep, session: SessionDep
) -> LocationConsentOut:
    return LocationConsentOut.of(await sessions.location_consent(session, account), ctx.settings)


@router.put("/v1/me/sessions/location-consent", response_model=LocationConsentOut)
async def set_location_consent(
    body: LocationConsentIn, account: CurrentAccount, ctx: ContextDep, session: SessionDep
) -> LocationConsentOut:
    """Grant: the next sign-ins record a city. Withdraw: every session forgets its city."""
    consent = await sessions.set_location_consent(session, account, body.granted)
    return LocationConsentOut.of(consent, ctx.settings)


@router.delete("/v1/me/sessions/{session_id}", status_code=204)
async def end_session(
    session_id: uuid.UUID, account: CurrentAccount, session: SessionDep
) -> Response:
    await sessions.end(session, account, session_id)
    return Response(status_code=204)

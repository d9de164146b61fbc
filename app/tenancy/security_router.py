"""`POST /v1/me/security/report`: the person suspects their account was taken over (SEC-14)."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from app.accounts.deps import CurrentAccount
from app.accounts.security_report import report_compromise
from app.accounts.sms import make_sender
from app.core.deps import ContextDep, SessionDep
from app.tenancy.security_alerts import tell_school_admins

router = APIRouter(tags=["me"])


class SecurityReportOut(BaseModel):
    id: uuid.UUID
    reported_at: datetime
    sessions_ended: int
    school_admins_told: int
    next_sign_in: str = "sms_code"


@router.post("/v1/me/security/report", status_code=201, response_model=SecurityReportOut)
async def report(
    account: CurrentAccount, ctx: ContextDep, session: SessionDep
) -> SecurityReportOut:
    recorded = await report_compromise(session, account)
    sender = make_sender(ctx.settings, ctx.keys)
    told = await tell_school_admins(session, ctx.keys, sender, account, recorded)
    return SecurityReportOut(
        id=recorded.id,
        reported_at=recorded.created_at,
        sessions_ended=recorded.sessions_ended,
        school_admins_told=told,
    )

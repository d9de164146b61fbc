from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel


class MemberOut(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    role: str
    status: str
    display_name: str | None
    phone_masked: str
    age_band: str | None = None
    created_at: datetime
    status_reason: str | None = None
    confirmed_at: datetime | None = None


class MembershipOut(BaseModel):
    id: uuid.UUID
    school: str
    school_name: str
    role: str
    status: str
    registered_at: datetime
    registered_by_school: bool = False
    confirmed_at: datetime | None = None


class MeOut(BaseModel):
    id: uuid.UUID
    phone: str
    phone_masked: str
    display_name: str | None
    memberships: list[MembershipOut]

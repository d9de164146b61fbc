from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel


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

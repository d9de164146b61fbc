from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field

from app.core.fields import ApiInput
from app.core.phones import narrow

RGT17_NOTICE = (
    "This account began with a sign-in at your school's identity provider. Closing it here "
    "does not close your account there: ask your school's provider to close that one."
)


class PendingLinkOut(BaseModel):
    """The callback's answer when the person must confirm a phone number by SMS code."""

    status: Literal["confirmation_required"] = "confirmation_required"
    link_token: str
    expires_in: int
    phone_hint: str | None = Field(description="the masked number the provider named, if any")


class ConfirmLinkIn(ApiInput):
    link_token: str = Field(min_length=10, max_length=200)
    phone: str = Field(max_length=32)
    code: Annotated[str, BeforeValidator(lambda v: narrow(v) if isinstance(v, str) else v)] = Field(
        min_length=4, max_length=8, pattern=r"^[0-9]+$"
    )


class IdentityOut(BaseModel):
    id: uuid.UUID
    school: str  # the slug of the school whose provider it is
    issuer: str
    linked_by: str
    linked_at: datetime
    last_used_at: datetime


class IdentityList(BaseModel):
    items: list[IdentityOut]
    next_cursor: str | None = None
    created_by_provider: bool
    provider_account_notice: str | None = Field(
        description="RGT-17: the provider's own account must be closed with the provider"
    )

"""Shapes of the profile: what the person sets, and what the school registered."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from app.core.fields import ApiInput

NICKNAME_MAX = 40
CORRECTION = (
    "Your name and phone number as your school registered them are the school's records: "
    "ask for a correction with a rights request of type correction (POST /v1/me/requests)."
)


class ProfileIn(ApiInput):
    """Only the fields sent change; `null` (or an empty nickname) clears that field."""

    nickname: str | None = Field(default=None, max_length=NICKNAME_MAX)
    avatar: None = Field(default=None, description="null removes the avatar; upload with PUT")

    @field_validator("nickname")
    @classmethod
    def _trimmed(cls, value: str | None) -> str | None:
        return (value or "").strip() or None


class AvatarOut(BaseModel):
    url: str
    content_type: str
    size_bytes: int
    sha256: str
    updated_at: datetime | None


class RegisteredOut(BaseModel):
    """What the school registered: shown here, corrected through a correction request."""

    display_name: str | None
    phone_masked: str
    correction: str = CORRECTION


class ProfileOut(BaseModel):
    nickname: str | None
    avatar: AvatarOut | None
    registered: RegisteredOut

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from app.core.fields import ApiInput


class OtpRequest(ApiInput):
    phone: str = Field(max_length=32, examples=["13800000001"])


class TokenRequest(ApiInput):
    phone: str = Field(max_length=32)
    code: str = Field(min_length=4, max_length=8, pattern=r"^\d+$")


class RefreshRequest(ApiInput):
    refresh_token: str = Field(min_length=10, max_length=200)


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    refresh_token: str

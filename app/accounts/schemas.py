from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field

from app.accounts.shutdown import ServiceNotice
from app.core.fields import ApiInput
from app.core.phones import narrow


class OtpRequest(ApiInput):
    phone: str = Field(max_length=32, examples=["13800000001"])


class TokenRequest(ApiInput):
    phone: str = Field(max_length=32)
    # Full-width digits typed on a phone keyboard are the same code (NFKC, as for numbers).
    code: Annotated[str, BeforeValidator(lambda v: narrow(v) if isinstance(v, str) else v)] = Field(
        min_length=4, max_length=8, pattern=r"^[0-9]+$"
    )


class RefreshRequest(ApiInput):
    refresh_token: str = Field(min_length=10, max_length=200)


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    refresh_token: str
    # The announced shutdown (SHD-1): present on sign-in answers only while one is announced.
    service_notice: ServiceNotice | None = None

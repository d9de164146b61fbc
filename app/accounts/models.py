"""Accounts (one per phone number), login codes, refresh tokens, SMS outbox, API keys."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models import id_field, tenant_field, utc_field


class Account(SQLModel, table=True):
    """A person. Rostra is the controller of the account itself (phone, login)."""

    id: uuid.UUID = id_field()
    phone_hash: str = Field(max_length=64, unique=True)  # keyed hash: lookup without plaintext
    phone_enc: str = Field(max_length=255)  # AES-GCM ciphertext
    phone_masked: str = Field(max_length=32)
    display_name: str | None = Field(default=None, max_length=200)
    registered_via: str = Field(default="self", max_length=16)  # self | guardian | school
    is_staff: bool = Field(default=False)
    status: str = Field(default="active", max_length=16)
    password_hash: str | None = Field(default=None, max_length=255)
    code_required: bool = Field(default=False)  # after a compromise report: SMS sign-in only
    language: str = Field(default="zh", max_length=8)  # zh | en: notices are written in it
    # The person's own profile (ACC-3, RGT-3): optional, and nothing depends on it.
    nickname: str | None = Field(default=None, max_length=40)
    avatar_key: str | None = Field(default=None, max_length=255)  # in the object store
    avatar_type: str | None = Field(default=None, max_length=32)
    avatar_size: int | None = Field(default=None)
    avatar_sha256: str | None = Field(default=None, max_length=64)
    avatar_updated_at: datetime | None = utc_field(nullable=True)
    created_at: datetime = utc_field(default_now=True)
    last_login_at: datetime | None = utc_field(nullable=True)


class OtpCode(SQLModel, table=True):
    id: uuid.UUID = id_field()
    phone_hash: str = Field(max_length=64)
    code_hmac: str = Field(max_length=64)
    created_at: datetime = utc_field(default_now=True)
    expires_at: datetime = utc_field()
    attempts: int = Field(default=0)
    consumed_at: datetime | None = utc_field(nullable=True)

    __table_args__ = (Index("ix_otpcode_phone_created", "phone_hash", "created_at"),)


class SmsMessage(SQLModel, table=True):
    """Development outbox: what the console sender 'sent', readable by `rostra sms outbox`."""

    id: uuid.UUID = id_field()
    phone_hash: str = Field(max_length=64, index=True)
    phone_enc: str = Field(max_length=255)
    body: str = Field(max_length=500)
    code: str | None = Field(default=None, max_length=16)
    sent_at: datetime = utc_field(default_now=True)


class SmsSend(SQLModel, table=True):
    """One login-code request, counted for the hourly caps against SMS pumping (#11).

    No number: the client's keyed IP hash, the number's calling region, and whether the code
    really went out (a number outside the allowed regions is answered alike but sent nothing).
    """

    id: uuid.UUID = id_field()
    at: datetime = utc_field(default_now=True)
    ip_hash: str | None = Field(default=None, max_length=64)
    region: str = Field(max_length=8)
    delivered: bool = Field(default=True)

    __table_args__ = (
        Index("ix_smssend_at", "at"),
        Index("ix_smssend_ip_at", "ip_hash", "at"),
    )


class RefreshToken(SQLModel, table=True):
    id: uuid.UUID = id_field()
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True)
    family_id: uuid.UUID = Field(index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = utc_field(default_now=True)
    expires_at: datetime = utc_field()
    used_at: datetime | None = utc_field(nullable=True)
    revoked_at: datetime | None = utc_field(nullable=True)


class ApiKey(SQLModel, table=True):
    """An ingestion client of one school: shown once, stored hashed, revocable."""

    tenant_id: uuid.UUID = tenant_field()
    id: uuid.UUID = id_field()
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=16)
    key_hash: str = Field(max_length=64)
    created_by: uuid.UUID | None = Field(default=None)
    created_at: datetime = utc_field(default_now=True)
    last_used_at: datetime | None = utc_field(nullable=True)
    revoked_at: datetime | None = utc_field(nullable=True)

    # Unique within the school (the key names its school, so lookups carry tenant_id): a
    # unique key of a table distributed by tenant_id must include it (Citus).
    __table_args__ = (UniqueConstraint("tenant_id", "key_hash"),)


class DeviceSession(SQLModel, table=True):
    """One refresh-token family: a device the person signed in on (ACC-12/13)."""

    id: uuid.UUID = id_field()
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True)
    family_id: uuid.UUID = Field(unique=True)
    device_name: str = Field(max_length=200)
    signed_in_via: str = Field(default="code", max_length=16)  # code | password | oidc
    location: str | None = Field(default=None, max_length=100)  # a city, only with consent
    created_at: datetime = utc_field(default_now=True)
    last_used_at: datetime = utc_field(default_now=True)
    ended_at: datetime | None = utc_field(nullable=True)


class SecurityReport(SQLModel, table=True):
    """The person said their account may be taken over (SEC-14): what was done about it."""

    id: uuid.UUID = id_field()
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True)
    sessions_ended: int = Field(default=0)
    admins_told: int = Field(default=0)  # school admins sent an SMS about it
    created_at: datetime = utc_field(default_now=True)


class SignInFailure(SQLModel, table=True):
    """A wrong code or password for a number: one budget for both (app/accounts/lockout.py)."""

    __tablename__ = "signin_failure"

    id: uuid.UUID = id_field()
    phone_hash: str = Field(max_length=64)
    via: str = Field(default="password", max_length=16)  # code | password
    at: datetime = utc_field(default_now=True)

    __table_args__ = (Index("ix_signin_failure_phone_at", "phone_hash", "at"),)


class PlatformConsent(SQLModel, table=True):
    """Consent the person gave Rostra itself (the controller of the account), opt-in.

    Only `ConsentCategory.LOCATION` so far: a session's city from its IP address (ACC-12).
    """

    __tablename__ = "platform_consent"

    id: uuid.UUID = id_field()
    account_id: uuid.UUID = Field(foreign_key="account.id")
    category: str = Field(max_length=24)  # a ConsentCategory
    granted_at: datetime = utc_field(default_now=True)

    __table_args__ = (UniqueConstraint("account_id", "category"),)


class ServiceShutdown(SQLModel, table=True):
    """Platform staff announced that the service ends on `ends_at` (SHD-1/2/3)."""

    __tablename__ = "service_shutdown"

    id: uuid.UUID = id_field()
    ends_at: datetime = utc_field()
    message_zh: str = Field(max_length=2000)
    message_en: str = Field(max_length=2000)
    scheduled_by: uuid.UUID | None = Field(default=None, foreign_key="account.id")  # None: CLI
    status: str = Field(default="scheduled", max_length=16)  # scheduled | cancelled | done
    created_at: datetime = utc_field(default_now=True)
    finished_at: datetime | None = utc_field(nullable=True)

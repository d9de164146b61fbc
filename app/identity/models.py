"""External identities (a school's OpenID Connect provider) and sign-in attempts with them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.models import id_field, utc_field


class ExternalIdentity(SQLModel, table=True):
    """A provider's subject linked to one account (ACC-7); unlinking withdraws it (ACC-8).

    A platform table keyed by the account: the identity belongs to the person, the provider
    to one school, so the same issuer used by two schools gives two identities.
    """

    __tablename__ = "external_identity"

    id: uuid.UUID = id_field()
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True)
    school_id: uuid.UUID = Field(foreign_key="tenant.id")
    issuer: str = Field(max_length=255)
    subject: str = Field(max_length=255)
    lookup_hash: str = Field(max_length=64, unique=True)  # school, issuer, subject: the lookup
    linked_by: str = Field(max_length=16)  # verified_phone | sms_code
    created_account: bool = Field(default=False)  # the account began with this sign-in (RGT-17)
    linked_at: datetime = utc_field(default_now=True)
    last_used_at: datetime = utc_field(default_now=True)


class OidcAttempt(SQLModel, table=True):
    """One trip to the provider: single use, short-lived, its state and nonce kept hashed.

    A callback without a verified phone leaves the identity here, waiting for an SMS code.
    """

    __tablename__ = "oidc_attempt"

    id: uuid.UUID = id_field()
    school_id: uuid.UUID = Field(foreign_key="tenant.id")
    state_hash: str = Field(max_length=64, unique=True)
    nonce_hash: str = Field(max_length=64)
    created_at: datetime = utc_field(default_now=True)
    expires_at: datetime = utc_field()
    used_at: datetime | None = utc_field(nullable=True)
    issuer: str | None = Field(default=None, max_length=255)
    subject: str | None = Field(default=None, max_length=255)
    link_hash: str | None = Field(default=None, max_length=64, unique=True)
    link_expires_at: datetime | None = utc_field(nullable=True)
    linked_at: datetime | None = utc_field(nullable=True)

"""Published privacy notices of a school and the people's acceptances of them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models import id_field, tenant_field, utc_field


class Notice(SQLModel, table=True):
    tenant_id: uuid.UUID = tenant_field()
    id: uuid.UUID = id_field()
    version: str = Field(max_length=32)
    title: str = Field(max_length=200)
    published_at: datetime = utc_field(default_now=True)

    __table_args__ = (UniqueConstraint("tenant_id", "version"),)


class ConsentWithdrawal(SQLModel, table=True):
    """A person took back one consent category in a school; ingestion drops those events."""

    __tablename__ = "consent_withdrawal"

    tenant_id: uuid.UUID = tenant_field()
    id: uuid.UUID = id_field()
    account_id: uuid.UUID = Field(foreign_key="account.id")
    category: str = Field(max_length=16)  # camera | microphone | recording | diagnostics
    withdrawn_at: datetime = utc_field()
    restored_at: datetime | None = utc_field(nullable=True)

    __table_args__ = (Index("ix_consent_withdrawal_account", "tenant_id", "account_id"),)

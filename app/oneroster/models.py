"""OneRoster REST clients of a school: registered by its admin, secret shown once, stored hashed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models import id_field, tenant_field, utc_field


class OneRosterClient(SQLModel, table=True):
    """A tool that reads the school's roster (the classroom service, a learning platform)."""

    __tablename__ = "oneroster_client"

    tenant_id: uuid.UUID = tenant_field()
    id: uuid.UUID = id_field()
    name: str = Field(max_length=100)
    client_id: str = Field(max_length=80)  # names its school: rc_<tenant hex>_...
    secret_hash: str = Field(max_length=64)
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    purpose: str = Field(max_length=32)
    created_by: uuid.UUID | None = Field(default=None)
    created_at: datetime = utc_field(default_now=True)
    revoked_at: datetime | None = utc_field(nullable=True)

    # Unique within the school, as Citus needs of a table distributed by tenant_id.
    __table_args__ = (UniqueConstraint("tenant_id", "client_id"),)

    def detail(self) -> dict[str, Any]:
        return {"oneroster_client_id": str(self.id), "name": self.name}

"""Bodies of the OneRoster client registration."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class ClientCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(
        min_length=1,
        description="OneRoster 1.2 scopes, full URI or short name (roster-core.readonly, ...)",
    )
    purpose: str = Field(description="the published purpose the client reads for")


class ClientCreated(BaseModel):
    id: uuid.UUID
    name: str
    client_id: str
    client_secret: str = Field(description="shown once; only its hash is kept")
    scopes: list[str]
    purpose: str
    created_at: datetime


class ClientOut(BaseModel):
    """A registered client as its school's admin sees it: never the secret."""

    id: uuid.UUID
    name: str
    client_id: str
    scopes: list[str]
    purpose: str
    created_at: datetime
    revoked_at: datetime | None

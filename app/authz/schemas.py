"""Requests and responses of the API-key, support-grant and audit endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from app.core.fields import ApiDateTime, ApiInput


class SupportGrantIn(ApiInput):
    multiline: ClassVar[frozenset[str]] = frozenset({"reason"})
    staff_phone: str = Field(max_length=32, description="the platform staff account's number")
    record_kinds: list[str] = Field(min_length=1, max_length=19)
    purpose: str = Field(max_length=32, description="a purpose of policies/purposes.toml")
    expires_at: ApiDateTime = Field(description="at most 7 days from now")
    reason: str = Field(min_length=1, max_length=500)


class SupportGrantOut(BaseModel):
    id: uuid.UUID
    staff_account_id: uuid.UUID
    staff_phone_masked: str
    record_kinds: list[str]
    purpose: str
    reason: str
    expires_at: datetime
    created_by: uuid.UUID | None
    created_at: datetime
    revoked_at: datetime | None
    status: str  # active | expired | revoked


class AuditEntryOut(BaseModel):
    id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID | None
    actor_kind: str
    grant_id: uuid.UUID | None
    record_kind: str
    action: str
    purpose: str | None
    subjects: list[uuid.UUID]
    subject_count: int
    request_id: str | None
    detail: dict[str, Any]
    seq: int | None
    hash: str | None


class MyAuditEntryOut(BaseModel):
    """An entry about the caller: which school's log, who read what and why."""

    school: str
    id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID | None
    actor_kind: str
    grant_id: uuid.UUID | None
    record_kind: str
    action: str
    purpose: str | None


class ApiKeyCreate(ApiInput):
    name: str = Field(min_length=1, max_length=100)


class ApiKeyCreated(BaseModel):
    id: uuid.UUID
    key: str
    name: str
    prefix: str
    created_at: datetime


class ApiKeyOut(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

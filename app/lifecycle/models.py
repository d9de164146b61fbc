"""Incidents and their notifications, offboardings and the proof a school's data is gone.

Platform tables (no `tenant_id`): they name a school by `school_id` without a foreign key,
so they outlive the school's own rows, which offboarding deletes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from app.core.models import id_field, utc_field


class Incident(SQLModel, table=True):
    """A personal-data incident as platform staff recorded it (SEC-11/12/13)."""

    id: uuid.UUID = id_field()
    what: str = Field(max_length=4000)  # basic facts and possible impact (SEC-12)
    impact: str = Field(default="", max_length=4000)
    happened_at: datetime = utc_field()
    detected_at: datetime = utc_field()
    categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    measures: str = Field(max_length=4000)  # taken or planned
    advice: str = Field(max_length=4000)  # how people can protect themselves
    remedies: str = Field(max_length=4000)
    progress: str = Field(default="", max_length=4000)  # handling progress (SEC-12, S1)
    contact: str = Field(max_length=500)
    # [{"school_id", "slug", "everyone": bool, "people": [account ids]}]
    scope: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    recorded_by: uuid.UUID = Field(foreign_key="account.id")
    created_at: datetime = utc_field(default_now=True)


class Audience(StrEnum):
    PERSON = "person"  # an affected person
    GUARDIAN = "guardian"  # the guardian of an affected child (MIN-1)
    SCHOOL = "school"  # the school, through one of its admins


class Channel(StrEnum):
    SMS = "sms"
    IN_APP = "in_app"


class IncidentNotification(SQLModel, table=True):
    """One message of an incident to one person by one channel, and whether it went out."""

    __tablename__ = "incident_notification"

    id: uuid.UUID = id_field()
    incident_id: uuid.UUID = Field(foreign_key="incident.id")
    account_id: uuid.UUID = Field(foreign_key="account.id")
    school_id: uuid.UUID
    audience: str = Field(max_length=8)  # an Audience
    channel: str = Field(max_length=8)  # a Channel
    language: str = Field(max_length=8)
    status: str = Field(max_length=8)  # sent | failed
    error: str | None = Field(default=None, max_length=500)
    at: datetime = utc_field(default_now=True)

    __table_args__ = (Index("ix_incident_notification_incident", "incident_id", "account_id"),)


class OffboardingStatus(StrEnum):
    SCHEDULED = "scheduled"  # the export is built, the notice period runs
    CANCELLED = "cancelled"
    DELETED = "deleted"


class Offboarding(SQLModel, table=True):
    """A school leaving Rostra: its full export, then, after the notice period, deletion."""

    id: uuid.UUID = id_field()
    school_id: uuid.UUID = Field(index=True)
    slug: str = Field(max_length=64)
    reason: str = Field(default="offboarding", max_length=16)  # offboarding | shutdown
    status: str = Field(default=OffboardingStatus.SCHEDULED, max_length=16)
    requested_by: uuid.UUID | None = Field(default=None)
    requested_at: datetime = utc_field(default_now=True)
    delete_after: datetime = utc_field()
    export_key: str | None = Field(default=None, max_length=255)
    export_size: int | None = Field(default=None)
    export_sha256: str | None = Field(default=None, max_length=64)
    export_ready_at: datetime | None = utc_field(nullable=True)
    cancelled_at: datetime | None = utc_field(nullable=True)
    # Taken when the deletion starts, so a rerun (a killed worker) proves against the start.
    rows_before: dict[str, int] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    object_keys: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    deleted_at: datetime | None = utc_field(nullable=True)


class DeletionProof(SQLModel, table=True):
    """What deleting a school removed, signed with the audit key (kept after the school)."""

    __tablename__ = "deletion_proof"

    id: uuid.UUID = id_field()
    offboarding_id: uuid.UUID = Field(foreign_key="offboarding.id", unique=True)
    school_id: uuid.UUID
    slug: str = Field(max_length=64)
    rows_before: dict[str, int] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    rows_after: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    objects_removed: int = Field(default=0)
    objects_left: int = Field(default=0)
    accounts_offered_cancellation: int = Field(default=0)
    finished_at: datetime = utc_field()
    signature: str = Field(max_length=64)  # HMAC-SHA256 (audit key) of the canonical body

"""Rights requests: the person's filing (platform) and one linked part per school controller.

Rostra controls the account and decides account-level parts; each school controls its
classroom data and decides its own part, which Rostra then carries out (TPS-8).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from app.core.models import id_field, tenant_field, utc_field


class RequestType(StrEnum):
    ACCESS = "access"
    CORRECTION = "correction"
    DELETION = "deletion"
    WITHDRAWAL = "withdrawal"
    CANCELLATION = "cancellation"
    COMPLAINT = "complaint"


class RequestStatus(StrEnum):
    RECEIVED = "received"
    IDENTITY_VERIFIED = "identity_verified"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    REFUSED = "refused"
    PARTLY_DONE = "partly_done"


CLOSED = frozenset({RequestStatus.DONE, RequestStatus.REFUSED, RequestStatus.PARTLY_DONE})


class DeletionGrounds(StrEnum):
    """RGT-5/RGT-6: why the person asks for deletion."""

    UNLAWFUL_PROCESSING = "unlawful_processing"
    WITHOUT_CONSENT = "without_consent"
    BREACH_OF_AGREEMENT = "breach_of_agreement"
    UNLAWFUL_SHARING = "unlawful_sharing"
    UNLAWFUL_DISCLOSURE = "unlawful_disclosure"
    STOPPED_USING = "stopped_using"
    SERVICE_ENDED = "service_ended"


class RefusalException(StrEnum):
    """RGT-21: the closed list under which a request may go unanswered, wholly or in part."""

    LEGAL_OBLIGATION = "legal_obligation"
    NATIONAL_SECURITY = "national_security"
    PUBLIC_INTEREST = "public_interest"
    CRIMINAL_PROCEEDINGS = "criminal_proceedings"
    MALICE_OR_ABUSE = "malice_or_abuse"
    VITAL_INTERESTS = "vital_interests"
    SERIOUS_HARM_TO_OTHERS = "serious_harm_to_others"
    TRADE_SECRETS = "trade_secrets"


class Erasure(StrEnum):
    """RGT-15/RET-8: what happens to the account data after cancellation."""

    DELETE = "delete"
    ANONYMISE = "anonymise"


class RightsRequest(SQLModel, table=True):
    """What the person filed, and the account-level part Rostra itself decides."""

    __tablename__ = "rights_request"

    id: uuid.UUID = id_field()
    account_id: uuid.UUID = Field(foreign_key="account.id")  # whose data
    filed_by: uuid.UUID = Field(foreign_key="account.id")  # the person or their guardian
    type: str = Field(max_length=16)
    details: str | None = Field(default=None, max_length=4000)
    grounds: str | None = Field(default=None, max_length=32)
    erasure: str | None = Field(default=None, max_length=16)
    account_level: bool = Field(default=True)  # Rostra decides a part of it
    status: str = Field(default=RequestStatus.RECEIVED, max_length=24)
    received_on: date
    due_on: date
    provisional: bool = Field(default=False)
    repeat_of: uuid.UUID | None = Field(default=None)  # RGT-19/20: same type, recently
    decision: str | None = Field(default=None, max_length=16)
    reason: str | None = Field(default=None, max_length=2000)
    exception: str | None = Field(default=None, max_length=32)  # RGT-21, when not answered
    history: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    created_at: datetime = utc_field(default_now=True)
    closed_at: datetime | None = utc_field(nullable=True)

    __table_args__ = (Index("ix_rights_request_account", "account_id", "created_at"),)


class SchoolRightsRequest(SQLModel, table=True):
    """The part of a request a school decides as controller of its classroom data."""

    __tablename__ = "school_rights_request"

    tenant_id: uuid.UUID = tenant_field()
    id: uuid.UUID = id_field()
    request_id: uuid.UUID = Field(foreign_key="rights_request.id")
    account_id: uuid.UUID = Field(foreign_key="account.id")
    type: str = Field(max_length=16)
    status: str = Field(default=RequestStatus.RECEIVED, max_length=24)
    due_on: date
    provisional: bool = Field(default=False)
    decision: str | None = Field(default=None, max_length=16)
    reason: str | None = Field(default=None, max_length=2000)
    exception: str | None = Field(default=None, max_length=32)  # RGT-21, when not answered
    decided_by: uuid.UUID | None = Field(default=None)
    decided_at: datetime | None = utc_field(nullable=True)
    history: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    created_at: datetime = utc_field(default_now=True)

    __table_args__ = (
        Index("ix_school_rights_request_due", "tenant_id", "status", "due_on"),
        Index("ix_school_rights_request_request", "request_id"),
    )


class HoldKind(StrEnum):
    SUSPENSION = "suspension"  # the account is not in normal status (RGT-12)
    AUTHORITY = "authority"  # a competent authority restricted the account (RGT-12)
    OBLIGATION = "obligation"  # an unsettled right or obligation (RGT-14), reason recorded


class AccountHold(SQLModel, table=True):
    """Something that blocks cancellation until it is lifted, with its recorded reason."""

    __tablename__ = "account_hold"

    id: uuid.UUID = id_field()
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True)
    kind: str = Field(max_length=16)
    reason: str = Field(max_length=500)
    placed_at: datetime = utc_field(default_now=True)
    lifted_at: datetime | None = utc_field(nullable=True)

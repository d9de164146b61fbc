"""Request and response shapes of notices and consents."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from app.core.fields import ApiDate, ApiInput
from app.core.vocabulary import ConsentCategory
from app.privacy.consent import ConsentState
from app.privacy.models import PersonalNotice
from app.privacy.notices import NoticeState


class NoticeOut(BaseModel):
    id: uuid.UUID
    scope: str  # platform | school | incident | shutdown | offboarding (a personal notice)
    school: str | None
    version: str
    title: str
    summary: str
    effective_on: date | None
    reduces_rights: bool
    published_at: datetime
    current: bool
    pending: bool  # the current version, not accepted yet
    applies: bool  # the version that governs this person now (POL-3)
    accepted_at: datetime | None
    accepted_by_guardian: bool

    @classmethod
    def of(cls, state: NoticeState) -> NoticeOut:
        n, a = state.notice, state.acceptance
        return cls(
            id=n.id,
            scope="school" if state.school else "platform",
            school=state.school.slug if state.school else None,
            version=n.version,
            title=n.title,
            summary=n.summary,
            effective_on=n.effective_on,
            reduces_rights=n.reduces_rights,
            published_at=n.published_at,
            current=state.current,
            pending=state.pending,
            applies=state.applies,
            accepted_at=a.accepted_at if a else None,
            accepted_by_guardian=bool(a and a.accepted_by != a.account_id),
        )

    @classmethod
    def of_personal(cls, notice: PersonalNotice, school: str | None) -> NoticeOut:
        """A message to this person; accepting it records that they read it."""
        return cls(
            id=notice.id,
            scope=notice.kind,
            school=school,
            version="1",
            title=notice.title,
            summary=notice.body,
            effective_on=notice.created_at.date(),
            reduces_rights=False,
            published_at=notice.created_at,
            current=True,
            pending=notice.acknowledged_at is None,
            applies=True,
            accepted_at=notice.acknowledged_at,
            accepted_by_guardian=False,
        )


class NoticeList(BaseModel):
    items: list[NoticeOut]
    next_cursor: str | None = None  # every version of the caller's notices fits one page


class NoticeIn(ApiInput):
    """A school publishes a new version of its notice (POL-6: versions are never edited)."""

    multiline: ClassVar[frozenset[str]] = frozenset({"summary"})

    version: str = Field(min_length=1, max_length=32)
    title: str = Field(default="Privacy notice", min_length=1, max_length=200)
    summary: str = Field(default="", max_length=2000)
    effective_on: ApiDate | None = None
    reduces_rights: bool = False


class LanguageIn(ApiInput):
    """The language the person's notices and messages are written in."""

    language: Literal["zh", "en"]


class ConsentOut(BaseModel):
    school: str
    category: ConsentCategory
    granted: bool
    withdrawn_at: datetime | None

    @classmethod
    def of(cls, state: ConsentState) -> ConsentOut:
        return cls(
            school=state.school.slug,
            category=state.category,
            granted=state.granted,
            withdrawn_at=state.withdrawn_at,
        )


class ConsentList(BaseModel):
    items: list[ConsentOut]
    next_cursor: str | None = None

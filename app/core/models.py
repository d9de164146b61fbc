"""Shared column helpers for SQLModel tables."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column
from sqlmodel import Field

from app.core.clock import now
from app.core.ids import new_id
from app.core.types import UTCDateTime


def id_field(**kw: Any) -> Any:
    return Field(default_factory=new_id, primary_key=True, **kw)


def tenant_field() -> Any:
    """`tenant_id` leads every tenant-owned primary key (co-location under Citus)."""
    return Field(primary_key=True, foreign_key="tenant.id")


def utc_field(*, nullable: bool = False, default_now: bool = False, index: bool = False) -> Any:
    if default_now:
        return Field(
            default_factory=now, sa_column=Column(UTCDateTime(), nullable=nullable, index=index)
        )
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))

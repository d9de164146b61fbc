"""The rows an import writes, as plain dicts for Core bulk inserts (every column given)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from app.accounts.service import no_phone_hash
from app.core.ids import new_id
from app.core.phones import mask
from app.core.security import Keys
from app.roster.imports.rosterfile import CourseRow
from app.tenancy.models import MembershipStatus

Row = dict[str, Any]


def fast_mask(e164: str) -> str:
    if e164.startswith("+86") and len(e164) == 14:  # the common case, without re-parsing
        return f"+86 {e164[3:6]}****{e164[-4:]}"
    return mask(e164)


def account_row(
    keys: Keys,
    account_id: uuid.UUID,
    digest: str | None,
    e164: str | None,
    name: str,
    now: datetime,
) -> Row:
    """A new account; without a number, a learner whose guardian signs in for them."""
    return {
        "id": account_id,
        "phone_hash": digest if e164 and digest else no_phone_hash(account_id),
        "phone_enc": keys.phone_cipher.encrypt(e164) if e164 else "",
        "phone_masked": fast_mask(e164) if e164 else "",
        "display_name": name or None,
        "registered_via": "school",
        "is_staff": False,
        "status": "active",
        "created_at": now,
    }


def membership_row(
    tenant_id: uuid.UUID,
    account_id: uuid.UUID,
    role: str,
    *,
    age_band: str | None,
    name: str,
    source_id: str | None,
    registered_by: uuid.UUID | None,
    now: datetime,
    oneroster: dict[str, Any] | None = None,
) -> Row:
    return {
        "tenant_id": tenant_id,
        "id": new_id(),
        "account_id": account_id,
        "role": role,
        "status": MembershipStatus.pending.value,
        "age_band": age_band,
        "display_name": name or None,
        "registered_by": registered_by,
        "source_id": source_id,
        "created_at": now,
        "updated_at": now,
        "oneroster": oneroster,
    }


def attestation_row(
    membership: Row, *, under14: bool, notice_version: str, attested_by: uuid.UUID | None
) -> Row:
    """The import is the school's attestation (method `school_import`)."""
    return {
        "tenant_id": membership["tenant_id"],
        "id": new_id(),
        "membership_id": membership["id"],
        "account_id": membership["account_id"],
        "given_by": "guardian" if under14 else "self",
        "guardian_id": None,
        "method": "school_import",
        "notice_version": notice_version,
        "given_at": membership["created_at"],
        "attested_by": attested_by,
        "created_at": membership["created_at"],
    }


def course_row(tenant_id: uuid.UUID, row: CourseRow, now: datetime) -> Row:
    return {
        "tenant_id": tenant_id,
        "id": new_id(),
        "code": row.code,
        "name": row.name,
        "subject": row.subject,
        "term": row.term or None,
        "starts_on": row.starts_on,
        "ends_on": row.ends_on,
        "status": "active",
        "source_id": row.source_id,
        "created_at": now,
        "oneroster": row.oneroster or None,
    }


def enrollment_row(
    tenant_id: uuid.UUID,
    course_id: uuid.UUID,
    account_id: uuid.UUID,
    role: str,
    source_id: str | None,
    now: datetime,
    oneroster: dict[str, Any] | None = None,
) -> Row:
    return {
        "tenant_id": tenant_id,
        "id": new_id(),
        "course_id": course_id,
        "account_id": account_id,
        "role": role,
        "status": "active",
        "source_id": source_id,
        "created_at": now,
        "removed_at": None,
        "oneroster": oneroster,
    }


def guardianship_row(
    tenant_id: uuid.UUID, guardian_id: uuid.UUID, student_id: uuid.UUID, now: datetime
) -> Row:
    return {
        "tenant_id": tenant_id,
        "id": new_id(),
        "guardian_id": guardian_id,
        "student_id": student_id,
        "created_at": now,
    }

"""Carrying out a school's approved deletion for one person (TPS-8, RGT-5, MIN-8).

What a school holds about a person beyond the roster entry itself: their classroom events,
attendance spans, rollups, recording grants, enrolments, consent withdrawals and the
guardianships naming them as the student. Core DELETEs in the request's transaction (a
person's rows are few), children first. The membership, the school's attestation of
consent, the rights request and the audit log stay: they are the record of what happened.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Table, delete
from sqlalchemy.ext.asyncio import AsyncSession

from app.classroom.models import AttendanceSpan, ClassroomEvent, LessonRollup, RecordingGrant
from app.core.db import set_tenant
from app.privacy.models import ConsentWithdrawal
from app.roster.models import Enrollment
from app.tenancy.models import Guardianship


def _table(model: object) -> Table:
    return model.__table__  # type: ignore[attr-defined, no-any-return]


# (table, the column naming the person), in the order rows can go.
ABOUT_THE_PERSON: tuple[tuple[Table, str], ...] = (
    (_table(ClassroomEvent), "account_id"),
    (_table(AttendanceSpan), "account_id"),
    (_table(LessonRollup), "account_id"),
    (_table(RecordingGrant), "account_id"),
    (_table(Enrollment), "account_id"),
    (_table(ConsentWithdrawal), "account_id"),
    (_table(Guardianship), "student_id"),
)


async def erase_in_school(
    session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID
) -> dict[str, int]:
    """{table: rows deleted} of this person's data in this school."""
    await set_tenant(session, tenant_id)
    counts: dict[str, int] = {}
    for table, column in ABOUT_THE_PERSON:
        result = await session.execute(
            delete(table).where(table.c.tenant_id == tenant_id, table.c[column] == account_id)
        )
        counts[table.name] = int(getattr(result, "rowcount", 0) or 0)
    return counts

"""Carrying out a school's approved deletion for one person (TPS-8, RGT-5, MIN-8).

What a school holds about a person beyond the roster entry itself: their classroom events,
attendance spans, rollups, recording grants, enrolments, consent withdrawals and the
guardianships naming them as the student. Core DELETEs in the request's transaction (a
person's rows are few), children first. The membership, the school's attestation of
consent, the rights request and the audit log stay: they are the record of what happened.

A legal hold in force on the school, on the person or on any of the school's categories
keeps the data (RET-5): the deletion is refused (409) until the hold is lifted, or the school
refuses the request with the `legal_obligation` exception (RGT-21). What is erased goes into
the deletion log (one entry per person and school, action `erase`), so replaying the log
into a restored backup erases the person there again (RET-6).
"""

from __future__ import annotations

import uuid

from sqlalchemy import Table, delete, insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.classroom.models import AttendanceSpan, ClassroomEvent, LessonRollup, RecordingGrant
from app.core import clock
from app.core.db import set_tenant
from app.core.errors import Conflict
from app.core.ids import new_id
from app.core.vocabulary import HoldScope
from app.privacy.models import ConsentWithdrawal, DeletionLog, LegalHold
from app.privacy.repository import active_holds
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


ERASE = "erase"  # the deletion log's action for a person's data erased in one school
_LOG: Table = DeletionLog.__table__  # type: ignore[attr-defined]


async def holds_keeping(
    session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID
) -> list[LegalHold]:
    """The holds in force that keep this person's data in this school: on the whole school,
    on the person, or on a category (every category holds some of the person's rows)."""
    await set_tenant(session, tenant_id)
    holds = await active_holds(session, tenant_id, clock.now())
    return [h for h in holds if h.scope != HoldScope.PERSON or h.account_id == account_id]


async def erase_in_school(
    session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID, run_id: uuid.UUID
) -> dict[str, int]:
    """{table: rows deleted} of this person's data in this school, logged under `run_id`
    (the rights request's part). 409 while a legal hold keeps the data."""
    held = await holds_keeping(session, tenant_id, account_id)
    if held:
        raise Conflict(
            "a legal hold keeps this person's data in the school: "
            + "; ".join(h.reason for h in held),
            holds=[str(h.id) for h in held],
        )
    counts = await erase_rows(session, tenant_id, account_id)
    await session.execute(
        insert(_LOG).values(
            id=new_id(),
            table_name="account",
            category="rights",
            school_id=tenant_id,
            keys={"account_id": [str(account_id)]},
            row_count=sum(counts.values()),
            action=ERASE,
            run_id=run_id,
            at=clock.now(),
        )
    )
    return counts


async def erase_rows(
    session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID
) -> dict[str, int]:
    """Delete the person's rows in the school (also the replay of an `erase` log entry)."""
    await set_tenant(session, tenant_id)
    counts: dict[str, int] = {}
    for table, column in ABOUT_THE_PERSON:
        result = await session.execute(
            delete(table).where(table.c.tenant_id == tenant_id, table.c[column] == account_id)
        )
        counts[table.name] = int(getattr(result, "rowcount", 0) or 0)
    return counts

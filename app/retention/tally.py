"""Anonymising rollups: their counts are added to the lesson's tally, then the person's row goes.

Both happen in the batch's one transaction, so a killed sweep adds a rollup either with its
deletion or not at all: run again, it is counted exactly once.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.models import LessonTally
from app.classroom.models import LessonRollup
from app.core import clock

_ROLLUP = LessonRollup.__table__  # type: ignore[attr-defined]
_TALLY = LessonTally.__table__  # type: ignore[attr-defined]
SUMMED = (
    "attended_seconds",
    "joins",
    "hand_raises",
    "rewards",
    "speaking_ms",
    "camera_seconds",
    "stage_seconds",
    "answers_correct",
    "answers_total",
)


async def fold_into_tally(
    session: AsyncSession, tenant_id: uuid.UUID, keys: list[tuple[Any, ...]]
) -> None:
    """Add the rollups with these (lesson_id, account_id) keys to their lessons' tallies."""
    if not keys:
        return
    sums = await session.execute(
        select(
            _ROLLUP.c.lesson_id,
            func.count().label("participants"),
            *(func.sum(_ROLLUP.c[name]).label(name) for name in SUMMED),
        )
        .where(
            _ROLLUP.c.tenant_id == tenant_id,
            tuple_(_ROLLUP.c.lesson_id, _ROLLUP.c.account_id).in_(keys),
        )
        .group_by(_ROLLUP.c.lesson_id)
    )
    by_lesson = {row.lesson_id: row for row in sums}
    if not by_lesson:
        return
    existing = set(
        (
            await session.execute(
                select(_TALLY.c.lesson_id).where(
                    _TALLY.c.tenant_id == tenant_id, _TALLY.c.lesson_id.in_(list(by_lesson))
                )
            )
        ).scalars()
    )
    now = clock.now()
    for lesson_id, row in by_lesson.items():
        added = {name: int(getattr(row, name) or 0) for name in ("participants", *SUMMED)}
        if lesson_id in existing:
            await session.execute(
                update(_TALLY)
                .where(_TALLY.c.tenant_id == tenant_id, _TALLY.c.lesson_id == lesson_id)
                .values(updated_at=now, **{n: _TALLY.c[n] + v for n, v in added.items()})
            )
        else:
            await session.execute(
                insert(_TALLY).values(
                    tenant_id=tenant_id, lesson_id=lesson_id, updated_at=now, **added
                )
            )

"""De-identified statistics, for a school and for the platform (VIS-5/6, PUR-14/15).

Counts only: lessons held per period, the attendance distribution and participation by
tool. The people behind a count are counted (distinct accounts), never named, and a group
of fewer than `K_ANONYMITY` people keeps only its name. A school's tally and the
platform's are the same `_Tally`: the platform adds the schools' tallies together first and
suppresses after, so a group small in every school but large in all is still shown, and one
large in a single school is never broken down by school.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import Account
from app.analytics import report_repository as repo
from app.analytics import repository
from app.analytics.report_schemas import CountRow, DeidentifiedReport, PeriodRow
from app.analytics.service import lesson_seconds
from app.authz import audit
from app.authz.access import Access
from app.core import clock
from app.core.db import set_tenant
from app.core.vocabulary import Action, ActorKind, RecordKind
from app.roster.models import Course, Lesson, LessonStatus
from app.roster.scopes import course_predicate
from app.tenancy.models import Tenant

K_ANONYMITY = 5
Period = Literal["day", "week", "term"]
ATTENDANCE_BANDS = ("absent", "1-25%", "26-50%", "51-75%", "76-100%")


def _band(attended: int, joins: int, lesson_seconds: int) -> str:
    if joins == 0:
        return "absent"
    share = attended / lesson_seconds if lesson_seconds else 1.0
    return ATTENDANCE_BANDS[min(4, max(1, -(-int(share * 100) // 25)))]


def _suppressed(
    groups: dict[str, set[uuid.UUID]], counts: dict[str, int], names: Sequence[str]
) -> list[CountRow]:
    """One row per group; fewer than K_ANONYMITY people: only the group's name is kept."""
    rows = []
    for name in names:
        people = len(groups.get(name, ()))
        hidden = people < K_ANONYMITY
        rows.append(
            CountRow(
                group=name,
                suppressed=hidden,
                people=None if hidden else people,
                count=None if hidden else counts.get(name, 0),
            )
        )
    return rows


def _period_of(lesson: Lesson, period: Period, zone: ZoneInfo, terms: dict[uuid.UUID, str]) -> str:
    if period == "term":
        return terms.get(lesson.course_id) or "no term"
    there = lesson.starts_at.astimezone(zone)
    if period == "day":
        return there.date().isoformat()
    year, week, _ = there.isocalendar()
    return f"{year}-W{week:02d}"


def _is_tool(count_key: str) -> bool:
    return count_key.startswith("tool.") and count_key.count(".") == 1


class _Tally:
    """Unsuppressed counts with the people behind each group; never leaves this module."""

    def __init__(self, period: Period) -> None:
        self.period = period
        self.lessons_held = 0
        self.by_period: dict[str, int] = defaultdict(int)
        self.bands: dict[str, set[uuid.UUID]] = defaultdict(set)
        self.band_counts: dict[str, int] = defaultdict(int)
        self.tools: dict[str, set[uuid.UUID]] = defaultdict(set)
        self.tool_counts: dict[str, int] = defaultdict(int)

    async def add_school(
        self, session: AsyncSession, tenant: Tenant, courses: Sequence[Course]
    ) -> None:
        """The school's held lessons of these courses and their students' rollups."""
        lessons = await repository.lessons_of_courses(session, tenant.id, [c.id for c in courses])
        now = clock.now()
        held = {
            x.id: x for x in lessons if x.starts_at <= now and x.status != LessonStatus.cancelled
        }
        zone, terms = ZoneInfo(tenant.time_zone), {c.id: c.term or "" for c in courses}
        self.lessons_held += len(held)
        for lesson in held.values():
            self.by_period[_period_of(lesson, self.period, zone, terms)] += 1
        seen: set[tuple[uuid.UUID, uuid.UUID]] = set()
        for lesson_id, person, attended, joins, hands, counts in await repo.student_rollups(
            session, tenant.id, list(held)
        ):
            seen.add((lesson_id, person))
            self._band(person, _band(attended, joins, lesson_seconds(held[lesson_id])))
            used = {
                k: int(v) for k, v in counts.items() if k.startswith("tool.") and k.count(".") == 1
            }
            if hands:
                used["behaviour.hand_raised"] = hands
            for kind, n in used.items():
                if n > 0:
                    self.tools[kind].add(person)
                    self.tool_counts[kind] += n
        for course_id, person in await repo.enrolled(
            session, tenant.id, [c.id for c in courses], "student"
        ):
            for lesson in held.values():
                if lesson.course_id == course_id and (lesson.id, person) not in seen:
                    self._band(person, "absent")

    def _band(self, person: uuid.UUID, band: str) -> None:
        self.bands[band].add(person)
        self.band_counts[band] += 1

    def report(self) -> DeidentifiedReport:
        return DeidentifiedReport(
            k=K_ANONYMITY,
            period=self.period,
            lessons_held=self.lessons_held,
            lessons_by_period=[
                PeriodRow(period=p, lessons=n) for p, n in sorted(self.by_period.items())
            ],
            attendance_distribution=_suppressed(self.bands, self.band_counts, ATTENDANCE_BANDS),
            participation_by_tool=_suppressed(self.tools, self.tool_counts, sorted(self.tools)),
        )


async def for_school(session: AsyncSession, access: Access, period: Period) -> DeidentifiedReport:
    """The school's statistics over the courses the caller's report scope reaches."""
    courses = await repo.courses(
        session, access.tenant_id, course_predicate(access, col(Course.id))
    )
    tally = _Tally(period)
    await tally.add_school(session, access.tenant, courses)
    return tally.report()


async def for_platform(
    session: AsyncSession, staff: Account, tenants: Sequence[Tenant], period: Period
) -> DeidentifiedReport:
    """Every school's courses, added up before suppression; each school's audit log says
    that platform staff read its statistics (the rows are read under that school's scope)."""
    tally = _Tally(period)
    for tenant in tenants:
        await set_tenant(session, tenant.id)
        await tally.add_school(session, tenant, await repo.courses(session, tenant.id, true()))
        await audit.record(
            session,
            tenant_id=tenant.id,
            actor_id=staff.id,
            actor_kind=ActorKind.PLATFORM_STAFF,
            record_kind=RecordKind.REPORT,
            action=Action.LIST,
            purpose=None,
            detail={"report": "platform_deidentified"},
        )
    await set_tenant(session, None)
    return tally.report()

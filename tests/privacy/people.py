"""People for the privacy and rights tests: one student in two schools, a child under 14
with a guardian, a guardian of no one, and platform staff (member of no school)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update

from app.accounts.models import Account
from app.accounts.service import get_or_create_account
from app.core import clock
from app.core.context import ServiceContext
from app.core.db import set_tenant
from app.core.phones import normalize
from app.roster.models import Guardianship
from app.tenancy.models import Membership, MembershipStatus

NORTH_ADMIN = "+8613800000001"
SOUTH_ADMIN = "+8613900000001"
STUDENT = "+8613700000001"  # adult student in demo-north and demo-south
CHILD = "+8613700000002"  # under 14, demo-north
GUARDIAN = "+8613700000003"  # CHILD's guardian in demo-north
STRANGER = "+8613700000004"  # a guardian in demo-north of nobody
SOUTH_STUDENT = "+8613700000005"
STAFF = "+8613600000009"
CHINA = ZoneInfo("Asia/Shanghai")


@dataclass
class People:
    north: Any
    south: Any
    ids: dict[str, uuid.UUID] = field(default_factory=dict)
    memberships: dict[tuple[str, str], uuid.UUID] = field(default_factory=dict)

    def id(self, phone: str) -> str:
        return str(self.ids[phone])


async def _member(
    owner: ServiceContext,
    people: People,
    tenant: Any,
    phone: str,
    role: str,
    age_band: str = "adult",
) -> uuid.UUID:
    async with owner.db.session() as session:
        await set_tenant(session, tenant.id)
        account, _ = await get_or_create_account(session, owner.keys, normalize(phone), role)
        membership = Membership(
            tenant_id=tenant.id,
            account_id=account.id,
            role=role,
            status=MembershipStatus.active,
            age_band=age_band,
            display_name=f"{role} {phone[-4:]}",
        )
        session.add(membership)
        await session.flush()
        people.ids[phone] = account.id
        people.memberships[(tenant.slug, phone)] = membership.id
        return account.id


async def build_people(owner: ServiceContext, schools: dict[str, Any]) -> People:
    people = People(schools["demo-north"], schools["demo-south"])
    north, south = people.north, people.south
    await _member(owner, people, north, STUDENT, "student")
    await _member(owner, people, south, STUDENT, "student")
    await _member(owner, people, south, SOUTH_STUDENT, "student")
    child = await _member(owner, people, north, CHILD, "student", age_band="under14")
    guardian = await _member(owner, people, north, GUARDIAN, "guardian")
    await _member(owner, people, north, STRANGER, "guardian")
    async with owner.db.session() as session:
        await set_tenant(session, north.id)
        session.add(Guardianship(tenant_id=north.id, guardian_id=guardian, student_id=child))
        staff, _ = await get_or_create_account(session, owner.keys, normalize(STAFF), "Staff")
        await session.execute(
            update(Account).where(Account.id == staff.id).values(is_staff=True)  # type: ignore[arg-type]
        )
        people.ids[STAFF] = staff.id
    return people


def move_clock_to(year: int, month: int, day: int, hour: int = 10) -> None:
    """Sets the clock to this local time in China (forward or back)."""
    clock.reset()
    target = datetime(year, month, day, hour, tzinfo=CHINA).astimezone(UTC)
    clock.advance((target - clock.now()).total_seconds())


def days(n: float) -> float:
    return timedelta(days=n).total_seconds()

"""`rostra demo load`: people for the demo schools, then each domain's own demo data.

Idempotent: running it again changes nothing. Domains add their part in `<domain>/demo.py`
(`async def load(session, keys, tenant, people) -> list[str]`), called in the order below.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import Account
from app.accounts.service import get_or_create_account
from app.core.db import set_tenant
from app.core.security import Keys
from app.core.vocabulary import Role
from app.tenancy import repository
from app.tenancy.models import Membership, MembershipStatus, Tenant

# Demo numbers: the admins come from tenants/*.toml; these follow the same pattern.
SCHOOLS = {
    "demo-north": {"prefix": "+861380000", "family": "North"},
    "demo-south": {"prefix": "+861390000", "family": "South"},
}
GIVEN = [
    "Li Wei",
    "Wang Fang",
    "Zhang Min",
    "Liu Yang",
    "Chen Jing",
    "Yang Lei",
    "Zhao Xin",
    "Huang Tao",
    "Zhou Yan",
    "Wu Hao",
    "Xu Li",
    "Sun Qiang",
    "Ma Lin",
    "Zhu Hua",
    "Hu Jun",
    "Guo Mei",
    "He Ping",
    "Gao Yu",
    "Lin Na",
    "Luo Bin",
    "Song Jie",
    "Zheng Kai",
]
STAFF_PHONE = "+8613600000001"
DOMAIN_DEMOS = ("app.roster.demo", "app.classroom.demo")


@dataclass
class DemoPeople:
    admin: Account
    teachers: list[Account] = field(default_factory=list)
    assistants: list[Account] = field(default_factory=list)
    students: list[Account] = field(default_factory=list)
    guardians: list[Account] = field(default_factory=list)


def demo_phone(prefix: str, n: int) -> str:
    return f"{prefix}{n:04d}"


async def _member(
    session: AsyncSession,
    keys: Keys,
    tenant: Tenant,
    phone: str,
    role: str,
    name: str,
    age_band: str | None = None,
) -> Account:
    account, _ = await get_or_create_account(session, keys, phone, name, "school")
    existing = await session.execute(
        select(Membership).where(
            col(Membership.tenant_id) == tenant.id,
            col(Membership.account_id) == account.id,
            col(Membership.role) == role,
        )
    )
    if existing.scalar_one_or_none() is None:
        session.add(
            Membership(
                tenant_id=tenant.id,
                account_id=account.id,
                role=role,
                status=MembershipStatus.active,
                display_name=name,
                age_band=age_band,
            )
        )
    return account


async def load_people(session: AsyncSession, keys: Keys, tenant: Tenant) -> DemoPeople:
    spec = SCHOOLS[tenant.slug]
    prefix = spec["prefix"]
    admin = await _member(
        session, keys, tenant, demo_phone(prefix, 1), Role.SCHOOL_ADMIN, f"Admin {spec['family']}"
    )
    people = DemoPeople(admin=admin)
    for i in range(2):  # teachers: ...0101, ...0102
        people.teachers.append(
            await _member(
                session,
                keys,
                tenant,
                demo_phone(prefix, 101 + i),
                Role.TEACHER,
                f"Teacher {GIVEN[i]}",
            )
        )
    people.assistants.append(
        await _member(
            session, keys, tenant, demo_phone(prefix, 151), Role.ASSISTANT, "Assistant Qian Duo"
        )
    )
    for i in range(20):  # students: ...0201 to ...0220; the first ten are under 14
        band = "under14" if i < 10 else "14to17"
        people.students.append(
            await _member(
                session, keys, tenant, demo_phone(prefix, 201 + i), Role.STUDENT, GIVEN[i + 2], band
            )
        )
    for i in range(10):  # guardians of the under-14 students: ...0301 to ...0310
        people.guardians.append(
            await _member(
                session,
                keys,
                tenant,
                demo_phone(prefix, 301 + i),
                Role.GUARDIAN,
                f"Parent of {GIVEN[i + 2]}",
            )
        )
    await session.flush()
    return people


async def load_demo(session: AsyncSession, keys: Keys) -> list[str]:
    # Platform staff: member of no school; reads only through a school's support grant.
    staff, _ = await get_or_create_account(session, keys, STAFF_PHONE, "Platform Support")
    staff.is_staff = True
    lines: list[str] = [f"platform staff {STAFF_PHONE}: member of no school"]
    for slug in SCHOOLS:
        tenant = await repository.tenant_by_slug(session, slug)
        if tenant is None:
            lines.append(f"{slug}: not applied yet (run `rostra tenants apply` first)")
            continue
        await set_tenant(session, tenant.id)
        people = await load_people(session, keys, tenant)
        lines.append(
            f"{slug}: {len(people.teachers)} teachers, {len(people.assistants)} assistant, "
            f"{len(people.students)} students, {len(people.guardians)} guardians"
        )
        for module_name in DOMAIN_DEMOS:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name == module_name:
                    continue
                raise
            lines += await module.load(session, keys, tenant, people)
    return lines

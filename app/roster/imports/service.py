"""Roster import (OneRoster 1.2 CSV zip or `roster.csv`): plan first, then write in bulk.

The plan is built from set-based reads of what the school has; nothing is written when
there is any row error or on a dry run. Writes use Core bulk inserts and bulk updates by
primary key, not the ORM per row. The import is the school's consent attestation
(method `school_import`, the school's notice version) for everyone it registers.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Any, Literal

import anyio
import phonenumbers
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.repository import account_ids_by_phone_hashes
from app.accounts.service import phone_hash
from app.core import clock
from app.core.config import Settings
from app.core.errors import DomainError, PayloadTooLarge
from app.core.security import Keys
from app.roster.imports import repository
from app.roster.imports.courses import plan_courses
from app.roster.imports.links import plan_enrollments, plan_guardianships
from app.roster.imports.people import normalise_people, plan_people
from app.roster.imports.plan import ImportResult, Planning
from app.roster.imports.repository import Writes
from app.roster.imports.rosterfile import (
    ArchiveLimits,
    ArchiveTooLarge,
    RosterFile,
    RowError,
    parse_oneroster,
    parse_roster_file,
    parse_simple_csv,
)
from app.roster.schemas import SkippedRow
from app.tenancy.models import Tenant
from app.tenancy.tenantfile import OneRosterSpec, load_tenant_file

Format = Literal["oneroster", "csv"]
OnError = Literal["abort", "skip"]

__all__ = [
    "Format",
    "ImportResult",
    "OnError",
    "SchoolOrgs",
    "Writes",
    "archive_limits",
    "import_roster",
    "read_file",
    "school_orgs",
]


class RosterArchiveTooLarge(PayloadTooLarge):
    type = "roster-archive-too-large"


class RosterArchiveEntries(DomainError):
    status, type, title = 422, "roster-archive-entries", "The zip holds too many entries"


@dataclass(frozen=True)
class SchoolOrgs:
    """What the tenant file says about this school in OneRoster files."""

    orgs: frozenset[str]
    phone_region: str


def school_orgs(settings: Settings, tenant: Tenant) -> SchoolOrgs:
    """`[oneroster]` of the school's tenant file; national numbers default to its region."""
    spec = OneRosterSpec()
    path = settings.tenants_dir / f"{tenant.slug}.toml"
    if path.is_file():
        spec = load_tenant_file(path)[0].oneroster
    region = spec.phone_region or tenant.region.split("-", 1)[0].upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        region = settings.default_region
    return SchoolOrgs(frozenset(spec.orgs), region)


def archive_limits(settings: Settings) -> ArchiveLimits:
    return ArchiveLimits(settings.roster_max_unpacked_bytes, settings.roster_max_entries)


def read_file(
    data: bytes,
    fmt: Format | None,
    limits: ArchiveLimits | None = None,
    orgs: frozenset[str] = frozenset(),
) -> RosterFile:
    """The file read; a zip past `limits` is refused whole (413 for size, 422 for entries)."""
    today = clock.now().date()
    if fmt == "oneroster" or (fmt is None and data[:4] == b"PK\x03\x04"):
        try:
            return parse_oneroster(data, today=today, limits=limits, orgs=orgs)
        except ArchiveTooLarge as exc:
            error = RosterArchiveEntries if exc.too_many_entries else RosterArchiveTooLarge
            raise error(exc.message, limit=exc.setting, max=exc.limit) from None
    if fmt == "csv":
        return parse_simple_csv(data)
    return parse_roster_file(data)


async def _same_org(session: AsyncSession, p: Planning) -> None:
    """Missing records are retired only when the file is of the school imported before."""
    source = await repository.roster_source(session, p.tenant.id)
    school = p.roster.school
    if school is not None and source is not None:
        p.same_org = source.org_source_id == school.source_id
        if not p.same_org:
            p.plan.notices.append(
                f"the file's school {school.source_id!r} is not the one imported before "
                f"({source.org_source_id!r}): nothing is retired for missing records"
            )
    elif school is not None:
        p.same_org = True
    if p.same_org and source is not None:
        p.plan.notices.append(
            f"a bulk file of {source.org_source_id!r} ({source.org_name}) retires what the "
            "school imported from it before and this file leaves out (see retiring)"
        )


def _people_and_hashes(p: Planning) -> tuple[Any, dict[str, str]]:
    people = normalise_people(p)
    return people, {e164: phone_hash(p.keys, e164) for _, e164 in people if e164}


async def _plan(session: AsyncSession, p: Planning) -> None:
    """Read what the school has, then plan courses, people and their links in that order.

    The CPU-heavy steps (normalising, hashing, planning) run in a worker thread, so other
    requests are answered meanwhile; the reads stay on the request's session.
    """
    people, hashes = await anyio.to_thread.run_sync(_people_and_hashes, p)
    accounts = await account_ids_by_phone_hashes(session, hashes.values())
    await _same_org(session, p)
    tenant_id = p.tenant.id
    memberships = await repository.memberships(session, tenant_id)
    courses = await repository.courses(session, tenant_id)
    enrollments = await repository.enrollments(session, tenant_id)
    guardianships = await repository.guardianships(session, tenant_id)
    p.without_phone = await repository.accounts_without_phone(session, tenant_id)
    p.guardianships = set(guardianships)

    def plan() -> None:
        plan_courses(p, courses)
        plan_people(p, people, hashes, accounts, memberships)
        plan_enrollments(p, enrollments, courses, memberships)
        plan_guardianships(p, people, memberships, guardianships)

    await anyio.to_thread.run_sync(plan)


async def import_roster(
    session: AsyncSession,
    keys: Keys,
    tenant: Tenant,
    actor_id: uuid.UUID | None,
    data: bytes,
    *,
    fmt: Format | None = None,
    default_age_band: str | None = None,
    dry_run: bool = False,
    region: str = "CN",
    limits: ArchiveLimits | None = None,
    orgs: frozenset[str] = frozenset(),
    on_error: OnError = "abort",
) -> tuple[ImportResult, Writes]:
    """Plans the import; writes it unless this is a dry run or a row is in error.

    With `on_error="skip"` the rows in error, and the rows that depend on them, are left out
    and listed in the plan's `skipped`; the rest is written. An error of a whole file (the
    zip, the manifest, a header) still writes nothing. `orgs` are the school's OneRoster
    orgs in a district's file (empty: the file's one school); rows of other orgs are counted
    as "not this school", never errors. Parsing runs off the event loop."""
    roster = await anyio.to_thread.run_sync(read_file, data, fmt, limits, orgs)
    p = Planning(keys, tenant, actor_id, roster, default_age_band=default_age_band, region=region)
    await _plan(session, p)
    p.plan.dry_run, p.plan.on_error = dry_run, on_error
    errors = p.sorted_errors()
    if on_error == "skip" and not any(_whole_file(e) for e in errors):
        skipped = sorted([*errors, *p.sorted_dependents()], key=lambda e: (e.file, e.line))
        p.plan.skipped = [SkippedRow(**asdict(e)) for e in skipped]
        errors = []
    if not errors and not dry_run:
        await repository.apply(session, tenant.id, p.writes, roster.school, p.now)
    return ImportResult(p.plan, errors), p.writes


def _whole_file(error: RowError) -> bool:
    """An error of the zip, the manifest or a file's header: no row can be trusted to be
    the file's (a bulk file cut short would retire what it leaves out)."""
    return error.column is None or error.line <= 1 or error.file == "manifest.csv"

"""Roster import: rows/s of the service-level OneRoster import vs a bare bulk insert.

`make bench ONLY=roster_import`. A generated OneRoster set (2,000 classes, 50,000 users,
100,000 enrolments; scaled by ROSTRA_BENCH_SCALE for development) is imported in-process
through `import_roster` (parse, normalise every phone, resolve against the school, plan,
encrypt new phones, bulk write, one commit), after a dry run of the same file. Baseline:
the very rows the import writes (accounts, memberships, attestations, courses, enrolments,
guardianships; ids and phone hashes renamed for a second school) inserted with plain Core
executemany in one transaction, measured in the same run on the same database. Rows/s
count classes + users + enrolments for all three. PostgreSQL runs in a scratch database
`rostra_bench_roster` (created and dropped as the `postgres` superuser), the app
connecting as the plain `rostra_app` role under row-level security; SQLite in a file under
var/bench/.

A district file (20 schools of 100 classes, 10,000 users and 20,000 enrolments each, so
200,000 users and 400,000 enrolments, also scaled by ROSTRA_BENCH_SCALE) gives
`district_plan_seconds` (a dry run over the whole file for the one school that is this
tenant's, peak RSS reported) and `district_import_one_school` (rows/s of this school's rows;
baseline: a bare bulk insert of the same rows in the same run).
"""

from __future__ import annotations

import asyncio
import gc
import os
import resource
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import ROOT, Settings
from app.core.db import Database, set_tenant
from app.core.migrate import upgrade
from app.core.security import Keys
from app.roster.imports import repository as import_store
from app.roster.imports.rosterfile.generate import generate_district, generate_oneroster
from app.roster.imports.service import Writes, import_roster
from app.tenancy.models import Tenant
from bench import oneroster
from bench.report import Figure, figure, write
from bench.scratch import Scratch

SCALE = float(os.environ.get("ROSTRA_BENCH_SCALE", "1"))
COURSES, USERS, ENROLLMENTS = (max(1, round(n * SCALE)) for n in (2000, 50000, 100000))
DISTRICT_SCHOOLS = 20
DISTRICT_EACH = tuple(max(1, round(n * SCALE)) for n in (100, 10000, 20000))
DISTRICT_ORGS = frozenset({"dist-1"})
PG_DB = "rostra_bench_roster"
SECRET = "bench-secret-key-that-is-long-enough-0123456789"
ID_COLUMNS = ("id", "account_id", "membership_id", "course_id", "guardian_id", "student_id")
TABLES = (
    ("account", "accounts"),
    ("course", "courses"),
    ("membership", "memberships"),
    ("consentattestation", "attestations"),
    ("enrollment", "enrollments"),
    ("guardianship", "guardianships"),
)


async def _schools(db: Database) -> tuple[Tenant, Tenant]:
    async with db.session() as session:
        imported = Tenant(slug="bench-import", name="Bench import", region="CN")
        baseline = Tenant(slug="bench-baseline", name="Bench baseline", region="CN")
        session.add_all([imported, baseline])
    return imported, baseline


def _baseline_rows(writes: Writes, tenant_id: uuid.UUID) -> dict[str, list[dict[str, Any]]]:
    """The import's rows for another school: every id renamed, phone hashes changed."""
    renamed: dict[uuid.UUID, uuid.UUID] = {}

    def rename(value: uuid.UUID) -> uuid.UUID:
        return renamed.setdefault(value, uuid.uuid4())

    out: dict[str, list[dict[str, Any]]] = {}
    for table, attribute in TABLES:
        rows = []
        for row in getattr(writes, attribute):
            copy = dict(row)
            for column in ID_COLUMNS:
                if copy.get(column) is not None:
                    copy[column] = rename(copy[column])
            if "tenant_id" in copy:
                copy["tenant_id"] = tenant_id
            if "phone_hash" in copy:
                copy["phone_hash"] = "b" + copy["phone_hash"][1:]
            rows.append(copy)
        out[table] = rows
    return out


async def _timed_import(
    db: Database,
    keys: Keys,
    tenant: Tenant,
    data: bytes,
    *,
    dry_run: bool,
    orgs: frozenset[str] = frozenset(),
) -> tuple[float, Writes]:
    started = time.perf_counter()
    session: AsyncSession
    async with db.session() as session:
        await set_tenant(session, tenant.id)
        result, writes = await import_roster(
            session, keys, tenant, None, data, dry_run=dry_run, default_age_band=None, orgs=orgs
        )
    seconds = time.perf_counter() - started
    if result.errors:
        raise SystemExit(f"the generated roster has row errors: {result.errors[:3]}")
    return seconds, writes


async def _timed_baseline(
    db: Database, tenant: Tenant, rows: dict[str, list[dict[str, Any]]]
) -> float:
    started = time.perf_counter()
    async with db.session() as session:
        await set_tenant(session, tenant.id)
        for table, _ in TABLES:
            if table == "account":  # row-level security: each chunk names its numbers
                await import_store.insert_accounts(session, rows[table])
            else:
                await import_store.bulk_insert(session, table, rows[table])
    return time.perf_counter() - started


async def _run(backend: str, owner_url: str, app_url: str, keys: Keys, data: bytes) -> list[Figure]:
    roster_rows = COURSES + USERS + ENROLLMENTS
    settings = Settings(secret_key=SECRET, database_url=app_url)
    owner = Database(settings, owner_url)
    db = Database(settings, app_url)
    try:
        imported, baseline = await _schools(owner)
        dry, writes = await _timed_import(db, keys, imported, data, dry_run=True)
        rows = _baseline_rows(writes, baseline.id)
        written = sum(len(r) for r in rows.values())
        bulk = await _timed_baseline(db, baseline, rows)
        del rows, writes  # the import starts from the same (small) heap as the dry run
        gc.collect()
        seconds, _ = await _timed_import(db, keys, imported, data, dry_run=False)
    finally:
        await db.dispose()
        await owner.dispose()
    print(
        f"{backend}: {roster_rows} roster rows ({written} table rows): dry run {dry:.2f}s, "
        f"import {seconds:.2f}s, bare bulk insert {bulk:.2f}s"
    )
    return [
        figure(f"{backend}_import_rows_per_s", roster_rows / seconds, "rows/s", roster_rows / bulk),
        figure(f"{backend}_dry_run_rows_per_s", roster_rows / dry, "rows/s", roster_rows / seconds),
    ]


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


async def _run_district(
    backend: str, owner_url: str, app_url: str, keys: Keys, data: bytes
) -> list[Figure]:
    """The dry run over the whole district file, then this school's import vs bulk insert."""
    school_rows = sum(DISTRICT_EACH)
    settings = Settings(secret_key=SECRET, database_url=app_url)
    owner = Database(settings, owner_url)
    db = Database(settings, app_url)
    try:
        async with owner.session() as session:
            imported = Tenant(slug="bench-district", name="Bench district", region="CN")
            baseline = Tenant(slug="bench-district-base", name="Bench district base", region="CN")
            session.add_all([imported, baseline])
        rss_before = _peak_rss_mib()
        plan, writes = await _timed_import(
            db, keys, imported, data, dry_run=True, orgs=DISTRICT_ORGS
        )
        rss_peak = _peak_rss_mib()
        rows = _baseline_rows(writes, baseline.id)
        bulk = await _timed_baseline(db, baseline, rows)
        del rows, writes
        gc.collect()
        seconds, _ = await _timed_import(
            db, keys, imported, data, dry_run=False, orgs=DISTRICT_ORGS
        )
    finally:
        await db.dispose()
        await owner.dispose()
    print(
        f"{backend} district: plan {plan:.2f}s (peak RSS {rss_peak:.0f} MiB, "
        f"{rss_before:.0f} MiB before), import of one school {seconds:.2f}s, "
        f"bare bulk insert {bulk:.2f}s"
    )
    return [
        figure(f"{backend}_district_plan_seconds", plan, "s", 60.0),
        figure(f"{backend}_district_plan_peak_rss", rss_peak, "MiB", 1024.0),
        figure(
            f"{backend}_district_import_one_school",
            school_rows / seconds,
            "rows/s",
            school_rows / bulk,
        ),
    ]


def postgres(keys: Keys, data: bytes, district: bytes) -> list[Figure]:
    scratch = Scratch(PG_DB)
    owner, app_url = scratch.owner_url, scratch.app_url
    try:
        scratch.create()
        figures = asyncio.run(_run("postgres", owner, app_url, keys, data))
        return figures + asyncio.run(_run_district("postgres", owner, app_url, keys, district))
    finally:
        scratch.drop()


def sqlite(keys: Keys, data: bytes, district: bytes) -> list[Figure]:
    directory = ROOT / "var" / "bench"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "roster_import.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    try:
        figures = asyncio.run(_run("sqlite", url, url, keys, data))
        return figures + asyncio.run(_run_district("sqlite", url, url, keys, district))
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def main() -> None:
    keys = Keys(Settings(secret_key=SECRET))
    started = time.perf_counter()
    data = generate_oneroster(COURSES, USERS, ENROLLMENTS, seed=1)
    print(
        f"generated {COURSES} classes, {USERS} users, {ENROLLMENTS} enrolments "
        f"({len(data) / 2**20:.1f} MiB) in {time.perf_counter() - started:.1f}s"
    )
    started = time.perf_counter()
    courses, users, enrollments = DISTRICT_EACH
    district = generate_district(DISTRICT_SCHOOLS, courses, users, enrollments, seed=2)
    print(
        f"generated a district of {DISTRICT_SCHOOLS} schools x {DISTRICT_EACH} "
        f"({len(district) / 2**20:.1f} MiB) in {time.perf_counter() - started:.1f}s"
    )
    only = os.environ.get("ROSTRA_BENCH_BACKENDS", "postgres,sqlite").split(",")
    figures = (postgres(keys, data, district) if "postgres" in only else []) + (
        sqlite(keys, data, district) if "sqlite" in only else []
    )
    write("roster_import", figures)
    oneroster.main()


if __name__ == "__main__":
    main()

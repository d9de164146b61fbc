"""A leaving school's full export (TPS-8): one zip in the object store, built by a job.

Inside: `roster/oneroster.zip` (the OneRoster 1.2 export the roster room writes), one JSON
Lines file per tenant table under `tables/` (classroom records, rollups, the audit log and
everything else the school holds, walked from the metadata), each recording and snapshot
under `objects/`, and a README with the counts. Built again from the start after a killed
run; marked ready once.
"""

from __future__ import annotations

import hashlib
import json
import uuid
import zipfile
from pathlib import Path
from typing import IO, Any

import anyio
from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.classroom.files.storage import ObjectStore, get_store, scratch_file
from app.classroom.models import LessonFile
from app.core import clock
from app.core.context import ServiceContext
from app.core.db import set_tenant
from app.lifecycle.models import Offboarding, OffboardingStatus
from app.lifecycle.tables import metadata
from app.roster.imports.export import export_roster
from app.tenancy.models import Tenant

ZIP_TYPE = "application/zip"


def _tenant_tables() -> list[Table]:
    return sorted((t for t in metadata.sorted_tables if "tenant_id" in t.c), key=lambda t: t.name)


def _json_line(row: Any) -> bytes:
    return json.dumps(dict(row._mapping), default=str, ensure_ascii=False).encode() + b"\n"


async def _write_table(
    session: AsyncSession, zf: zipfile.ZipFile, table: Table, school: uuid.UUID
) -> int:
    rows = 0
    result = await session.stream(
        select(table).where(table.c.tenant_id == school).execution_options(yield_per=2000)
    )
    with zf.open(f"tables/{table.name}.jsonl", "w") as out:
        async for row in result:
            out.write(_json_line(row))
            rows += 1
    return rows


async def _write_objects(store: ObjectStore, zf: zipfile.ZipFile, keys: list[str]) -> int:
    for key in keys:
        with zf.open(f"objects/{key}", "w") as out:
            async for chunk in store.stream(key):
                out.write(chunk)
    return len(keys)


def _readme(tenant: Tenant, counts: dict[str, int], objects: int) -> str:
    lines = [
        f"# {tenant.name} ({tenant.slug}): everything Rostra holds for the school",
        "",
        f"Exported {clock.now().isoformat()} before the school's data is deleted.",
        "roster/oneroster.zip: the roster as OneRoster 1.2 CSV (the import reads it back).",
        "tables/<table>.jsonl: every row of the school, one JSON object a line.",
        f"objects/: the {objects} recordings and snapshots, under their storage keys.",
        "",
        "| table | rows |",
        "|---|---|",
        *(f"| {name} | {n} |" for name, n in sorted(counts.items())),
    ]
    return "\n".join(lines) + "\n"


async def _fill(ctx: ServiceContext, tenant: Tenant, raw: IO[bytes]) -> None:
    store = get_store(ctx.settings)
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
        async with ctx.db.session() as session:
            await set_tenant(session, tenant.id)
            roster, _ = await export_roster(session, ctx.keys, tenant)
            zf.writestr("roster/oneroster.zip", roster)
            counts = {
                t.name: await _write_table(session, zf, t, tenant.id) for t in _tenant_tables()
            }
            keys = await session.execute(
                select(col(LessonFile.object_key)).where(col(LessonFile.tenant_id) == tenant.id)
            )
            objects = sorted(set(keys.scalars().all()))
        await _write_objects(store, zf, objects)
        zf.writestr("README.md", _readme(tenant, counts, len(objects)))


async def _publish(ctx: ServiceContext, offboarding: Offboarding, path: Path) -> None:
    digest = hashlib.sha256()
    async with await anyio.open_file(path, "rb") as source:
        while chunk := await source.read(1024 * 1024):
            digest.update(chunk)
    size = (await anyio.Path(path).stat()).st_size
    key = f"offboarding/{offboarding.school_id}/{offboarding.id}.zip"
    await get_store(ctx.settings).put(key, path, ZIP_TYPE)
    async with ctx.db.session() as session:
        await session.execute(
            update(Offboarding)
            .where(col(Offboarding.id) == offboarding.id)
            .where(col(Offboarding.export_ready_at).is_(None))
            .values(export_key=key, export_size=size, export_sha256=digest.hexdigest(),
                    export_ready_at=clock.now())
        )  # fmt: skip


async def build_school_export(ctx: ServiceContext, offboarding_id: uuid.UUID) -> bool:
    """Build and publish the zip; False when there is nothing (left) to do."""
    async with ctx.db.session() as session:
        offboarding = await session.get(Offboarding, offboarding_id)
        if offboarding is None or offboarding.export_ready_at is not None:
            return False
        if offboarding.status != OffboardingStatus.SCHEDULED:
            return False
        tenant = await session.get(Tenant, offboarding.school_id)
        if tenant is None:
            return False
    async with scratch_file(ctx.settings, "offboarding-") as (fd, path):
        with open(fd, "wb") as raw:  # noqa: ASYNC230  (the zip writes through this file)
            await _fill(ctx, tenant, raw)
        await _publish(ctx, offboarding, path)
    return True

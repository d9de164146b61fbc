"""Access exports: start one (in the caller's transaction), build it (a job), find it.

Building is idempotent: the zip goes to a key named by the export, and the step that marks
it ready and writes each school's audit entry happens once, whoever finishes first.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from pathlib import Path
from typing import Any

import anyio
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import Account
from app.accounts.service import plain_phone
from app.authz.audit import record
from app.classroom.files.links import export_link
from app.classroom.files.storage import get_store, scratch_file
from app.classroom.models import LessonFile
from app.core import clock
from app.core.context import ServiceContext
from app.core.db import set_account, set_tenant
from app.core.errors import Conflict, NotFound
from app.core.vocabulary import Action, Purpose, RecordKind
from app.jobs.queue import enqueue
from app.rights import repository as rights_repository
from app.rights.decisions import access_ready
from app.rights.export import categories, repository
from app.rights.export.categories import School
from app.rights.export.models import AccessExport, ExportStatus
from app.rights.export.readme import readme
from app.rights.export.settings import ExportSettings
from app.rights.export.writing import ExportZip
from app.rights.filed import Filed
from app.roster.members.repository import guardianship
from app.tenancy.repository import memberships_of_account

TASK = "rights.access_export"
ZIP_TYPE = "application/zip"


async def start_access_export(
    session: AsyncSession,
    *,
    account_id: uuid.UUID,
    requested_by: uuid.UUID,
    request_id: uuid.UUID | None = None,
    language: str = "zh",
) -> AccessExport:
    """Queue an export of `account_id`'s data; one still being built is answered again."""
    current = await repository.open_export(session, account_id, requested_by)
    if current is not None:
        return current
    export = AccessExport(
        account_id=account_id,
        requested_by=requested_by,
        request_id=request_id,
        language="en" if language == "en" else "zh",
    )
    session.add(export)
    await session.flush()
    await enqueue(session, TASK, {"export_id": str(export.id)}, lock=f"export:{export.id}")
    return export


# --- whose export the caller may ask for and see ---------------------------------------


async def schools_of(session: AsyncSession, account_id: uuid.UUID) -> list[School]:
    await set_account(session, account_id)
    return [School(t, m) for m, t in await memberships_of_account(session, account_id)]


async def subject_for(session: AsyncSession, caller: Account, student: str | None) -> uuid.UUID:
    """The caller, or a child the caller is guardian of in some school (404 otherwise)."""
    if student is None:
        return caller.id
    try:
        child = uuid.UUID(student)
    except ValueError:
        raise NotFound("no such student") from None
    for school in await schools_of(session, caller.id):
        if school.membership.role != "guardian":
            continue
        await set_tenant(session, school.tenant.id)
        if await guardianship(session, school.tenant.id, caller.id, child) is not None:
            return child
    raise NotFound("no such student")


async def visible_export(
    session: AsyncSession, caller: Account, export_id: str, subject: uuid.UUID
) -> AccessExport:
    """The export, if it is about `subject` and the caller asked for it or is its subject."""
    try:
        wanted = uuid.UUID(export_id)
    except ValueError:
        raise NotFound("no such export") from None
    export = await repository.export_by_id(session, wanted)
    if export is None or export.account_id != subject:
        raise NotFound("no such export")
    if caller.id not in (export.requested_by, export.account_id):
        raise NotFound("no such export")
    return export


def ready_key(export: AccessExport) -> str:
    if export.status != ExportStatus.ready or export.object_key is None:
        raise Conflict(f"the export is {export.status}; download it once it is ready")
    return export.object_key


async def record_download(session: AsyncSession, caller: Account, export: AccessExport) -> None:
    """Fetching the zip reads every school's data in it: each school's log says so."""
    for school_id in export.contents.get("school_ids", []):
        tenant_id = uuid.UUID(school_id)
        await set_tenant(session, tenant_id)
        await record(
            session,
            tenant_id=tenant_id,
            actor_id=caller.id,
            actor_kind="member",
            record_kind=RecordKind.RIGHTS_REQUEST,
            action=Action.READ,
            purpose=Purpose.RIGHTS_HANDLING,
            subjects=[export.account_id],
            detail={"access_export": str(export.id), "downloaded": True},
        )


# --- building (the job) ----------------------------------------------------------------


async def _begin(ctx: ServiceContext, export_id: uuid.UUID) -> AccessExport | None:
    """Mark the export running (a new attempt); None when it is already done."""
    async with ctx.db.session() as session:
        export = await repository.export_by_id(session, export_id)
        if export is None or export.status == ExportStatus.ready:
            return None
        export.status = ExportStatus.running
        export.attempts += 1
        export.started_at = clock.now()
        await session.flush()
        return export


async def _recording_rows(
    ctx: ServiceContext, session: AsyncSession, schools: list[School], account_id: uuid.UUID
) -> Any:
    seconds = ExportSettings().link_seconds
    for school in schools:
        await set_tenant(session, school.tenant.id)
        for file, title in await repository.recordings(session, school.tenant.id, account_id):
            url, expires = await _long_link(ctx, file, account_id, seconds)
            yield (
                school.tenant.slug, file.lesson_id, title, file.created_at, file.duration_seconds,
                file.size_bytes, file.content_type, url, expires,
            )  # fmt: skip


async def _long_link(
    ctx: ServiceContext, file: LessonFile, account_id: uuid.UUID, seconds: int
) -> tuple[str, Any]:
    """A link that lives as long as the export is useful (not the 5-minute default), and
    works only while its holder remains one who attended the lesson."""
    return await export_link(ctx.settings, ctx.keys, file, account_id, seconds)


async def _rows_of(rows: list[tuple[Any, ...]]) -> Any:
    for row in rows:
        yield row


def _account_row(ctx: ServiceContext, account: Account) -> tuple[Any, ...]:
    phone = plain_phone(ctx.keys, account.phone_enc)
    return (
        account.id, phone, account.phone_masked, account.display_name, account.registered_via,
        account.status, account.created_at, account.last_login_at, account.nickname,
        account.avatar_type, account.avatar_size, account.avatar_sha256,
    )  # fmt: skip


async def _write_zip(
    ctx: ServiceContext, export: AccessExport, out: ExportZip, pause: float
) -> list[School]:
    """Every category into `out`, reading in one transaction; returns the schools read."""
    async with ctx.db.session() as session:
        account = await repository.account(session, export.account_id)
        if account is None:
            raise NotFound("the account no longer exists")
        schools = await schools_of(session, export.account_id)
        await out.add_category(
            "account", categories.ACCOUNT_COLUMNS, _rows_of([_account_row(ctx, account)])
        )
        memberships = [categories.membership_row(s) for s in schools]
        await out.add_category("memberships", categories.MEMBERSHIP_COLUMNS, _rows_of(memberships))
        unseal = ctx.keys.phone_cipher.decrypt
        roster = [r for s in schools if (r := categories.oneroster_row(s, unseal)) is not None]
        await out.add_category("oneroster", categories.ONEROSTER_COLUMNS, _rows_of(roster))
        for category in categories.CATEGORIES:
            rows = categories.category_rows(session, category, schools, export.account_id)
            await out.add_category(category.name, category.columns, rows, category.raw_json)
            if pause:
                await asyncio.sleep(pause)
        rows = _recording_rows(ctx, session, schools, export.account_id)
        await out.add_category("recordings", categories.RECORDING_COLUMNS, rows)
        out.add_text("README.md", readme(export.language, clock.now(), out.rows))
    return schools


async def _store_zip(ctx: ServiceContext, export: AccessExport, path: Path) -> tuple[str, int, str]:
    digest = hashlib.sha256()
    async with await anyio.open_file(path, "rb") as source:
        while chunk := await source.read(1024 * 1024):
            digest.update(chunk)
    size = (await anyio.Path(path).stat()).st_size
    key = f"exports/{export.account_id}/{export.id}.zip"
    await get_store(ctx.settings).put(key, path, ZIP_TYPE)
    return key, size, digest.hexdigest()


async def _finish(
    ctx: ServiceContext,
    export: AccessExport,
    stored: tuple[str, int, str],
    schools: list[School],
    rows: dict[str, int],
) -> bool:
    """Mark ready and tell each school, once: a second finisher changes nothing."""
    key, size, sha = stored
    async with ctx.db.session() as session:
        done = await session.execute(
            update(AccessExport)
            .where(col(AccessExport.id) == export.id)
            .where(col(AccessExport.status) != ExportStatus.ready)
            .values(
                status=ExportStatus.ready, object_key=key, size_bytes=size, sha256=sha,
                finished_at=clock.now(), error=None,
                contents={
                    "rows": rows,
                    "schools": [s.tenant.slug for s in schools],
                    "school_ids": [str(s.tenant.id) for s in schools],
                },
            )
        )  # fmt: skip
        if not getattr(done, "rowcount", 0):
            return False
        for school in schools:
            await set_tenant(session, school.tenant.id)
            await record(
                session,
                tenant_id=school.tenant.id,
                actor_id=export.requested_by,
                actor_kind="member",
                record_kind=RecordKind.RIGHTS_REQUEST,
                action=Action.EXPORT,
                purpose=Purpose.RIGHTS_HANDLING,
                subjects=[export.account_id],
                detail={
                    "access_export": str(export.id),
                    "by_guardian": export.requested_by != export.account_id,
                },
            )
        if export.request_id is not None:
            await _settle_request(session, export)
    return True


async def _settle_request(session: AsyncSession, export: AccessExport) -> None:
    """The access request this export fulfils is done once its archive is ready (RGT-1)."""
    await set_tenant(session, None)
    await set_account(session, export.account_id)
    assert export.request_id is not None
    request = await rights_repository.request_of(session, export.account_id, export.request_id)
    if request is not None:
        access_ready(Filed(request, [], {}, created=False))
        session.add(request)


async def build_export(ctx: ServiceContext, export_id: uuid.UUID) -> bool:
    """Build the zip and publish it; False when there was nothing (left) to do."""
    export = await _begin(ctx, export_id)
    if export is None:
        return False
    async with scratch_file(ctx.settings, "export-") as (fd, path):
        with open(fd, "wb") as raw:  # noqa: ASYNC230  (the zip writes through this file)
            out = ExportZip(raw)
            try:
                schools = await _write_zip(ctx, export, out, ExportSettings().pause_seconds)
            finally:
                out.close()
        stored = await _store_zip(ctx, export, path)
        return await _finish(ctx, export, stored, schools, out.rows)

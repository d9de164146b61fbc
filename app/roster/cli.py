"""`rostra roster import|export`: the same import and export as the API, for operators."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Literal

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.context import ServiceContext
from app.core.vocabulary import Action, Purpose, RecordKind
from app.tenancy.models import Tenant

roster_app = typer.Typer(help="School rosters: OneRoster 1.2 zips and roster.csv.")

FormatOption = Annotated[
    str | None, typer.Option("--format", help="oneroster or csv (default: by content)")
]


@roster_app.command("import")
def import_command(
    slug: Annotated[str, typer.Argument(help="the school")],
    file: Annotated[
        Path, typer.Argument(exists=True, help="zip, folder of OneRoster CSV files or roster.csv")
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show the plan only")] = False,
    format: FormatOption = None,
    default_age_band: Annotated[
        str | None, typer.Option(help="students without a birth date: under14, 14to17, adult")
    ] = None,
    on_error: Annotated[
        str, typer.Option(help="abort: any row error writes nothing; skip: write the valid rows")
    ] = "abort",
) -> None:
    """Import a roster file (idempotent by sourcedId); any row error writes nothing unless
    --on-error skip."""
    if on_error not in ("abort", "skip"):
        typer.echo("error: --on-error must be abort or skip", err=True)
        raise typer.Exit(2)
    if format not in (None, "oneroster", "csv"):
        typer.echo("error: --format must be oneroster or csv", err=True)
        raise typer.Exit(2)
    if default_age_band not in (None, "under14", "14to17", "adult"):
        typer.echo("error: --default-age-band must be under14, 14to17 or adult", err=True)
        raise typer.Exit(2)
    fmt: Literal["oneroster", "csv"] | None = "csv" if format == "csv" else None
    if format == "oneroster":
        fmt = "oneroster"
    from app.roster.imports.rosterfile import pack_folder

    data = pack_folder(file) if file.is_dir() else file.read_bytes()
    skip = on_error == "skip"
    code, lines = asyncio.run(_import(slug, data, dry_run, fmt, default_age_band, skip=skip))
    for line in lines:
        typer.echo(line, err=code != 0)
    raise typer.Exit(code)


async def _import(
    slug: str,
    data: bytes,
    dry_run: bool,
    fmt: Literal["oneroster", "csv"] | None,
    default_age_band: str | None,
    *,
    skip: bool = False,
) -> tuple[int, list[str]]:
    from app.authz.audit import record
    from app.core.errors import DomainError
    from app.roster.imports.service import archive_limits, import_roster, school_orgs

    async with _school(slug) as (ctx, session, tenant):
        if tenant is None:
            return 2, [f"error: no school {slug!r}"]
        school = school_orgs(ctx.settings, tenant)
        try:
            result, writes = await import_roster(
                session,
                ctx.keys,
                tenant,
                None,
                data,
                fmt=fmt,
                default_age_band=default_age_band,
                dry_run=dry_run,
                region=school.phone_region,
                limits=archive_limits(ctx.settings),
                orgs=school.orgs,
                on_error="skip" if skip else "abort",
            )
        except DomainError as exc:
            return 1, [f"error: {exc.detail}; nothing was written"]
        if not result.errors and not dry_run:
            await record(
                session,
                tenant_id=tenant.id,
                actor_id=None,
                actor_kind="system",
                record_kind=RecordKind.MEMBER,
                action=Action.CREATE,
                purpose=Purpose.TEACHING_MANAGEMENT,
                subjects=writes.subjects,
                detail={"import": result.plan.model_dump(), "via": "cli"},
            )
        lines = [json.dumps(result.plan.model_dump(), ensure_ascii=False, indent=2)]
        if result.errors:
            lines += [f"{e.file}:{e.line}: {e.column or '-'}: {e.message}" for e in result.errors]
            lines.append(f"{len(result.errors)} row error(s); nothing was written")
            return 1, lines
        lines += [
            f"skipped {e.file}:{e.line}: {e.column or '-'}: {e.message}"
            for e in result.plan.skipped
        ]
        lines.append("dry run: nothing written" if dry_run else "imported")
        return 0, lines


@roster_app.command("export")
def export_command(
    slug: Annotated[str, typer.Argument(help="the school")],
    file: Annotated[Path, typer.Argument(dir_okay=False, help="where to write the file")],
    format: Annotated[
        str, typer.Option("--format", help="oneroster (a zip, the default) or csv (roster.csv)")
    ] = "oneroster",
) -> None:
    """Write the school's whole roster as a OneRoster 1.2 CSV zip or one roster.csv."""
    if format not in ("oneroster", "csv"):
        typer.echo("error: --format must be oneroster or csv", err=True)
        raise typer.Exit(2)
    fmt: Literal["oneroster", "csv"] = "csv" if format == "csv" else "oneroster"
    data, people = asyncio.run(_export(slug, fmt))
    if data is None:
        typer.echo(f"error: no school {slug!r}", err=True)
        raise typer.Exit(2)
    file.write_bytes(data)
    typer.echo(f"wrote {file} ({len(data)} bytes, {people} people)")


async def _export(slug: str, fmt: Literal["oneroster", "csv"]) -> tuple[bytes | None, int]:
    from app.authz.audit import record
    from app.roster.imports.export import export_roster

    async with _school(slug) as (ctx, session, tenant):
        if tenant is None:
            return None, 0
        data, subjects = await export_roster(session, ctx.keys, tenant, fmt)
        await record(
            session,
            tenant_id=tenant.id,
            actor_id=None,
            actor_kind="system",
            record_kind=RecordKind.MEMBER,
            action=Action.EXPORT,
            purpose=Purpose.TEACHING_MANAGEMENT,
            subjects=subjects,
            detail={"via": "cli", "format": fmt},
        )
    return data, len(subjects)


@asynccontextmanager
async def _school(slug: str) -> AsyncIterator[tuple[ServiceContext, AsyncSession, Tenant | None]]:
    """The owner connection, one transaction, the school set for row-level security."""
    from app.core.config import get_settings
    from app.core.db import set_tenant
    from app.tenancy.repository import tenant_by_slug

    settings = get_settings()
    ctx = ServiceContext.build(
        settings.model_copy(update={"database_url": settings.owner_database_url})
    )
    try:
        async with ctx.db.session() as session:
            tenant = await tenant_by_slug(session, slug)
            if tenant is not None:
                await set_tenant(session, tenant.id)
            yield ctx, session, tenant
    finally:
        await ctx.db.dispose()

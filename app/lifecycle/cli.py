"""`rostra tenants offboard`, `rostra shutdown` and `rostra retention replay`: the same
lifecycle as the API, for operators."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from app.core.commands import run_as_owner
from app.core.config import get_settings
from app.core.context import ServiceContext
from app.core.db import Database

shutdown_app = typer.Typer(help="The service's shutdown (SHD-1..4).", no_args_is_help=True)


async def _with_ctx(work: Any) -> Any:
    ctx = ServiceContext.build(get_settings())
    try:
        return await work(ctx)
    finally:
        await ctx.db.dispose()


def _proof_line(proof: Any) -> dict[str, Any]:
    from app.lifecycle.deletion import proof_body

    return {**proof_body(proof), "signature": proof.signature}


async def _offboard(ctx: ServiceContext, slug: str | None, cancel: bool, due: bool) -> Any:
    from app.lifecycle import offboarding
    from app.lifecycle.schemas import OffboardingOut
    from app.tenancy.repository import tenant_by_slug

    if due:
        return {"deleted": [_proof_line(p) for p in await offboarding.run_due(ctx)]}
    async with ctx.db.session() as session:
        tenant = await tenant_by_slug(session, slug or "")
        if tenant is None:
            return None
        if cancel:
            row = await offboarding.cancel(session, tenant, None)
        else:
            row, _ = await offboarding.start(session, tenant, None)
        return OffboardingOut.of(row).model_dump(mode="json")


def offboard(
    slug: Annotated[str | None, typer.Argument(help="the school")] = None,
    cancel: Annotated[
        bool, typer.Option("--cancel", help="stop it during the notice period")
    ] = False,
    due: Annotated[
        bool, typer.Option("--due", help="delete every school whose notice period has ended")
    ] = False,
) -> None:
    """Offboard a school: its export is built, its data deleted after the notice period."""
    from app.core.errors import DomainError

    if slug is None and not due:
        typer.echo("error: name the school, or pass --due", err=True)
        raise typer.Exit(2)
    try:
        out = asyncio.run(_with_ctx(lambda ctx: _offboard(ctx, slug, cancel, due)))
    except DomainError as exc:
        typer.echo(f"error: {exc.detail or exc.title}", err=True)
        raise typer.Exit(1) from None
    if out is None:
        typer.echo(f"error: no school {slug!r}", err=True)
        raise typer.Exit(2)
    typer.echo(json.dumps(out, indent=2, ensure_ascii=False))


@shutdown_app.command("schedule")
def shutdown_schedule(
    ends_at: Annotated[str, typer.Argument(help="when the service stops (ISO 8601, with zone)")],
    message_zh: Annotated[str, typer.Option(help="added to the Chinese notice")] = "",
    message_en: Annotated[str, typer.Option(help="added to the English notice")] = "",
) -> None:
    """Announce the shutdown: everyone is told, every school offboarded to that date."""
    from app.core.errors import DomainError
    from app.lifecycle import shutdown
    from app.lifecycle.schemas import ShutdownIn

    async def work(ctx: ServiceContext) -> Any:
        body = ShutdownIn.model_validate(
            {"ends_at": ends_at, "message_zh": message_zh, "message_en": message_en}
        )
        async with ctx.db.session() as session:
            row, _ = await shutdown.schedule(session, None, body)
            return {"id": str(row.id), "ends_at": row.ends_at.isoformat(), "status": row.status}

    try:
        out = asyncio.run(_with_ctx(work))
    except (DomainError, ValueError) as exc:
        typer.echo(f"error: {getattr(exc, 'detail', None) or exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(out, indent=2))


@shutdown_app.command("finish")
def shutdown_finish() -> None:
    """After the date: delete every school (with proofs) and anonymise every account."""
    from app.lifecycle import shutdown

    out = asyncio.run(_with_ctx(shutdown.finish))
    if out is None:
        typer.echo("error: no shutdown is due", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(out, indent=2))


def replay_log(
    file: Annotated[Path, typer.Argument(help="a file written by `retention export-log`")],
) -> None:
    """Remove again, from this (restored) database, every row and school the deletion log names."""
    from app.lifecycle.deletion import replay_school
    from app.retention.replay import ReplayReport, replay

    if not file.is_file():
        typer.echo(f"error: {file.name}: no such file", err=True)
        raise typer.Exit(2)

    async def work(db: Database) -> ReplayReport:
        return await replay(db, file, schools=replay_school)

    for line in run_as_owner(work).lines():
        typer.echo(line)

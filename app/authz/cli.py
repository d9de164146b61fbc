"""`rostra audit seal [SLUG]` and `rostra audit verify SLUG`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer

from app.core.config import get_settings
from app.core.db import Database

audit_app = typer.Typer(help="The schools' audit logs: seal and verify.", no_args_is_help=True)

T = TypeVar("T")


def _run(work: Callable[[Database], Awaitable[T]]) -> T:
    settings = get_settings()

    async def _go() -> T:
        db = Database(settings, settings.owner_database_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(_go())


@audit_app.command("seal")
def seal(
    slug: Annotated[str | None, typer.Argument(help="one school; all when left out")] = None,
) -> None:
    """Chain the new entries of every school (or one) to the entries before them."""
    from app.authz.sealing import seal_all

    sealed = _run(lambda db: seal_all(db, slug))
    if slug is not None and slug not in sealed:
        typer.echo(f"error: no school '{slug}'", err=True)
        raise typer.Exit(2)
    for name, count in sealed.items():
        typer.echo(f"{name}: sealed {count} entries")


@audit_app.command("verify")
def verify(slug: Annotated[str, typer.Argument(help="the school")]) -> None:
    """Check every sealed entry of a school; exit 1 naming the first removed/edited/moved one."""
    from app.authz.sealing import verify_slug

    report = _run(lambda db: verify_slug(db, slug))
    if report is None:
        typer.echo(f"error: no school '{slug}'", err=True)
        raise typer.Exit(2)
    for line in report.lines(slug):
        typer.echo(line, err=not report.ok and "BROKEN" in line)
    if not report.ok:
        raise typer.Exit(1)

"""`rostra retention sweep [--dry-run] [--school SLUG]`, `export-log FILE` (and `replay FILE`,
in `app.lifecycle.cli`: a whole school's entry is replayed by the offboarding deletion).

They run as the schema owner: the platform's categories (login state) sit behind row-level
security keyed on one number at a time, which a sweep over everyone's rows cannot name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.core.commands import run_as_owner
from app.core.config import get_settings
from app.core.db import Database
from app.core.vocabulary import RetentionCategory

retention_app = typer.Typer(
    help="Retention: sweeps, the deletion log and its replay after a restore.",
    no_args_is_help=True,
)


@retention_app.command("sweep")
def sweep(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="count only, remove nothing")] = False,
    school: Annotated[str | None, typer.Option("--school", help="one school's slug")] = None,
    category: Annotated[
        list[RetentionCategory] | None, typer.Option("--category", help="only these")
    ] = None,
    batch_size: Annotated[
        int, typer.Option(min=1, max=500_000, help="rows a transaction at most")
    ] = 50_000,
) -> None:
    """Delete or anonymise what outlived its period, per school and category (holds respected)."""
    from app.core import locks
    from app.retention.service import SWEEP_LOCK, UnknownSchool, sweep_all
    from app.retention.sweep import SweepReport

    async def work(db: Database) -> list[SweepReport]:
        # Waits for a sweep another process runs (the daily job), then sweeps what is left.
        async with locks.held(db, SWEEP_LOCK, wait=True):
            return await sweep_all(
                db,
                get_settings(),
                school,
                category or None,
                dry_run=dry_run,
                batch_size=batch_size,
                trigger="cli",
            )

    try:
        reports = run_as_owner(work)
    except UnknownSchool:
        typer.echo(f"error: --school: no school '{school}'", err=True)
        raise typer.Exit(2) from None
    for report in reports:
        for line in report.lines():
            typer.echo(line)


@retention_app.command("export-log")
def export_log(
    file: Annotated[Path, typer.Argument(help="JSON lines, oldest first")],
) -> None:
    """Write the deletion log (ids only) to FILE, to replay into a restored backup."""
    from app.retention.replay import export_log as export

    written = run_as_owner(lambda db: export(db, file))
    typer.echo(f"wrote {written} deletion log entries to {file.name}")

"""The export job: registered by name, so any worker (`rostra worker`, in-process) runs it."""

from __future__ import annotations

import uuid
from typing import Any

from app.core.context import ServiceContext
from app.jobs.registry import job
from app.rights.export.service import TASK, build_export


@job(TASK)
async def access_export(ctx: ServiceContext, args: dict[str, Any]) -> None:
    await build_export(ctx, uuid.UUID(str(args["export_id"])))

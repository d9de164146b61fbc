"""Request-level dependencies: the service context and the request's one transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.context import ServiceContext
from app.core.security import Keys


def get_context(request: Request) -> ServiceContext:
    ctx: ServiceContext = request.app.state.ctx
    return ctx


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed at the edge after the handler returns."""
    ctx = get_context(request)
    async with ctx.db.session() as session:
        yield session


ContextDep = Annotated[ServiceContext, Depends(get_context)]
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def get_settings_dep(ctx: ContextDep) -> Settings:
    return ctx.settings


def get_keys(ctx: ContextDep) -> Keys:
    return ctx.keys


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
KeysDep = Annotated[Keys, Depends(get_keys)]


def request_id(request: Request) -> str:
    return str(getattr(request.state, "request_id", ""))


RequestIdDep = Annotated[str, Depends(request_id)]

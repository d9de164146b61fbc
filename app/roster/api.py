"""Every roster endpoint, as one router for the app factory."""

from __future__ import annotations

from fastapi import APIRouter

from app.roster import files_router, issues_router, me_router, members_router
from app.roster import router as courses_router

router = APIRouter()
for part in (members_router, courses_router, issues_router, files_router, me_router):
    router.include_router(part.router)

"""The web portal under /portal/: server-rendered pages over the domains' services."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.core.config import ROOT
from app.portal import (
    admin,
    admin_courses,
    admin_issues,
    admin_oversight,
    admin_people,
    admin_reports,
    auth,
    cookies,
    home,
    me,
    me_reports,
    profile,
    recordings,
    teach,
)

STATIC_DIR = Path(__file__).parent / "static"
HTMX_DIR = ROOT / "node_modules" / "htmx.org" / "dist"  # from package-lock.json (npm ci)


def install(app: FastAPI) -> None:
    """The portal's routes, its own static files and the pinned third-party assets."""
    app.mount("/portal/static/vendor/htmx", StaticFiles(directory=HTMX_DIR, check_dir=False))
    app.mount("/portal/static/own", StaticFiles(directory=STATIC_DIR), name="portal-static")
    for router in (
        auth.router,
        cookies.router,
        home.router,
        teach.router,
        me.router,
        me_reports.router,
        profile.router,
        recordings.router,
        admin.router,
        admin_courses.router,
        admin_people.router,
        admin_oversight.router,
        admin_issues.router,
        admin_reports.router,
        home.fallback,
    ):
        app.include_router(router)

"""Pages: Jinja2 templates rendered in the person's language, with the session's CSRF token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.portal.i18n import DEFAULT_LANGUAGE, gettext_for

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def language(request: Request) -> str:
    return str(getattr(request.state, "portal_lang", DEFAULT_LANGUAGE))


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    lang = language(request)
    portal_session = getattr(request.state, "portal_session", None)
    values = {
        "_": gettext_for(lang),
        "lang": lang,
        "html_lang": "zh-Hans" if lang == "zh" else "en",
        "me": portal_session.account if portal_session else None,
        "csrf": getattr(request.state, "csrf", ""),
        "request_id": getattr(request.state, "request_id", ""),
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "is_htmx": request.headers.get("hx-request") == "true",
    }
    values.update(context)
    return templates.TemplateResponse(request, name, values, status_code=status)

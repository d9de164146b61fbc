"""Portal clients: a browser-like httpx client on http://127.0.0.1 (plain-http dev: no
Secure flag), and `sign_in(phone)` through the real forms and the SMS outbox."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from app.core import clock
from tests.conftest import latest_code

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
SignIn = Callable[..., Awaitable[httpx.AsyncClient]]


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


@pytest.fixture
async def browser_clients(app: Any) -> AsyncIterator[list[httpx.AsyncClient]]:
    made: list[httpx.AsyncClient] = []
    yield made
    for c in made:
        await c.aclose()


def new_client(app: Any, made: list[httpx.AsyncClient], lang: str = "zh") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    c = httpx.AsyncClient(
        transport=transport,
        base_url="http://127.0.0.1",
        headers={"accept-language": lang},
    )
    made.append(c)
    return c


@pytest.fixture
def anonymous(app: Any, browser_clients: list[httpx.AsyncClient]) -> httpx.AsyncClient:
    return new_client(app, browser_clients)


@pytest.fixture
def sign_in(app: Any, owner: Any, browser_clients: list[httpx.AsyncClient]) -> SignIn:
    """A fresh browser signed in as `phone` (the school must already list the person)."""

    async def _sign_in(phone: str, lang: str = "zh") -> httpx.AsyncClient:
        c = new_client(app, browser_clients, lang)
        form = await c.get("/portal/login")
        token = csrf_of(form.text)
        sent = await c.post("/portal/login/code", data={"csrf": token, "phone": phone})
        if sent.status_code == 429:
            clock.advance(61)
            sent = await c.post("/portal/login/code", data={"csrf": token, "phone": phone})
        assert sent.status_code == 200, sent.text
        code = await latest_code(owner, phone)
        done = await c.post("/portal/login", data={"csrf": token, "phone": phone, "code": code})
        assert done.status_code == 303, done.text
        assert done.headers["location"] == "/portal/"
        return c

    return _sign_in


# The classroom and analytics worlds, for the teacher's pages.
from tests.analytics.conftest import analytics_world  # noqa: E402
from tests.classroom.conftest import world  # noqa: E402

__all__ = ["analytics_world", "world"]
from tests.portal.browser import served, visitor  # noqa: E402

__all__ += ["served", "visitor"]

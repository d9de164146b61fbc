"""Driving a sign-in through a school's provider: Rostra in-process, the provider over HTTP."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx


async def to_provider(client: httpx.AsyncClient, slug: str) -> str:
    """GET /v1/auth/oidc/{slug}/login: the provider's authorization URL it redirects to."""
    response = await client.get(f"/v1/auth/oidc/{slug}/login")
    assert response.status_code == 302, response.text
    return response.headers["location"]


async def consent(authorization_url: str) -> str:
    """The provider consents at once: the callback path and query it sends the browser to."""
    async with httpx.AsyncClient() as browser:
        response = await browser.get(authorization_url)
    assert response.status_code == 302, response.text
    back = urlsplit(response.headers["location"])
    return f"{back.path}?{back.query}"


async def sign_in(client: httpx.AsyncClient, slug: str) -> httpx.Response:
    """The whole trip: login, the provider's consent, the callback's answer."""
    return await client.get(await consent(await to_provider(client, slug)))


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}

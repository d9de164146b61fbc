"""A school's OpenID Connect provider through Authlib's client: discovery, keys, the code.

The provider's discovery document and keys are fetched with httpx; the authorization URL
(PKCE S256, state, nonce) and the code exchange are Authlib's `AsyncOAuth2Client`.
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.deprecate import AuthlibDeprecationWarning

from app.core.config import Settings
from app.core.errors import DomainError, NotFound, Unauthorized
from app.tenancy.models import Tenant

with warnings.catch_warnings():
    # Authlib 1.9 prefers the httpx2 package and warns on import when it finds httpx.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

DISCOVERY_SECONDS = 300.0  # a provider's discovery document is reused this long


class ProviderUnavailable(DomainError):
    status, type, title = 502, "provider-unavailable", "The school's identity provider failed"


class ProviderRefused(Unauthorized):
    type, title = "provider-refused", "The identity provider refused the sign-in"


@dataclass(frozen=True)
class Provider:
    """The `[oidc]` of one school's tenant file, with its secret read from the environment."""

    school: Tenant
    issuer: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    phone_claim: str


def provider_of(school: Tenant) -> Provider:
    """404 when the school names no provider; 502 when its secret is not set here."""
    conf = school.oidc
    if not conf:
        raise NotFound("this school signs in with no identity provider")
    secret = os.environ.get(str(conf["client_secret_setting"]), "")
    if not secret:
        raise ProviderUnavailable(
            f"the provider's secret ({conf['client_secret_setting']}) is not set on this server"
        )
    return Provider(
        school=school,
        issuer=str(conf["issuer"]),
        client_id=str(conf["client_id"]),
        client_secret=secret,
        scopes=tuple(conf.get("scopes") or ("openid",)),
        phone_claim=str(conf.get("phone_claim") or "phone_number"),
    )


_discovered: dict[str, tuple[float, dict[str, Any]]] = {}


async def _get_json(settings: Settings, url: str) -> dict[str, Any]:
    try:
        async with httpx.AsyncClient(timeout=settings.oidc_timeout_seconds) as http:
            response = await http.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderUnavailable(f"{url} did not answer: {exc.__class__.__name__}") from None
    if not isinstance(body, dict):
        raise ProviderUnavailable(f"{url} did not answer a JSON object")
    return body


async def discover(settings: Settings, provider: Provider) -> dict[str, Any]:
    """The provider's metadata; its `issuer` must be exactly the one the school named."""
    cached = _discovered.get(provider.issuer)
    if cached is not None and time.monotonic() - cached[0] < DISCOVERY_SECONDS:
        return cached[1]
    url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
    doc = await _get_json(settings, url)
    if doc.get("issuer") != provider.issuer:
        raise ProviderUnavailable("the provider's discovery document names another issuer")
    for needed in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(doc.get(needed), str):
            raise ProviderUnavailable(f"the provider's discovery document has no {needed}")
    _discovered[provider.issuer] = (time.monotonic(), doc)
    return doc


async def signing_keys(settings: Settings, doc: dict[str, Any]) -> dict[str, Any]:
    """The provider's JWKS, fetched at each callback (sign-ins are rare, keys rotate)."""
    return await _get_json(settings, str(doc["jwks_uri"]))


def _client(settings: Settings, provider: Provider, redirect_uri: str) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        scope=" ".join(provider.scopes),
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=settings.oidc_timeout_seconds,
    )


async def authorization_url(
    settings: Settings,
    provider: Provider,
    doc: dict[str, Any],
    redirect_uri: str,
    *,
    state: str,
    code_verifier: str,
    nonce: str,
) -> str:
    async with _client(settings, provider, redirect_uri) as client:
        url, _ = client.create_authorization_url(
            doc["authorization_endpoint"], state=state, code_verifier=code_verifier, nonce=nonce
        )
    return str(url)


async def exchange_code(
    settings: Settings,
    provider: Provider,
    doc: dict[str, Any],
    redirect_uri: str,
    *,
    code: str,
    code_verifier: str,
) -> dict[str, Any]:
    """The provider's token answer for the code; it must carry an ID token."""
    try:
        async with _client(settings, provider, redirect_uri) as client:
            token = await client.fetch_token(
                doc["token_endpoint"], code=code, code_verifier=code_verifier
            )
    except OAuthError as exc:
        raise ProviderRefused(f"the provider refused the code: {exc.error}") from None
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderUnavailable(f"the token endpoint failed: {exc.__class__.__name__}") from None
    if not isinstance(token.get("id_token"), str):
        raise ProviderRefused("the provider's token answer has no ID token")
    return dict(token)


async def phone_from_userinfo(
    settings: Settings,
    provider: Provider,
    doc: dict[str, Any],
    access_token: str,
    id_claims: dict[str, Any],
) -> dict[str, Any]:
    """The phone claims of the userinfo answer, if it is about the ID token's subject."""
    url = doc.get("userinfo_endpoint")
    if not isinstance(url, str):
        return {}
    try:
        async with httpx.AsyncClient(timeout=settings.oidc_timeout_seconds) as http:
            response = await http.get(url, headers={"Authorization": f"Bearer {access_token}"})
        response.raise_for_status()
        info = response.json()
    except (httpx.HTTPError, ValueError):
        return {}  # no phone then: the person confirms one by SMS code
    if not isinstance(info, dict) or info.get("sub") != id_claims.get("sub"):
        return {}
    wanted = (provider.phone_claim, "phone_number_verified")
    return {k: info[k] for k in wanted if k in info}

"""`POST /oauth/token` by Authlib's client-credentials grant (RFC 6749 §4.4).

The client row is looked up (async) before Authlib runs, so Authlib's synchronous grant,
client authentication (HTTP Basic) and scope checks run on a client already in hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    OAuth2Request,
)
from authlib.oauth2.rfc6749.errors import InvalidScopeError
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6749.util import list_to_scope, scope_to_list

from app.core import clock
from app.core.security import sha256_hex
from app.oneroster.models import OneRosterClient
from app.oneroster.scopes import ALL_SCOPES
from app.oneroster.tokens import TOKEN_SECONDS, RosterTokens


@dataclass
class RegisteredClient(ClientMixin):  # type: ignore[misc]
    row: OneRosterClient

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return list_to_scope(self.row.scopes)  # type: ignore[no-any-return]
        return list_to_scope([s for s in scope_to_list(scope) if s in self.row.scopes])  # type: ignore[no-any-return]

    def check_client_secret(self, client_secret: str) -> bool:
        return self.row.revoked_at is None and sha256_hex(client_secret) == self.row.secret_hash

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "client_secret_basic" and endpoint == "token"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class TokenRequest(OAuth2Request):  # type: ignore[misc]
    def __init__(self, form: Mapping[str, str], headers: Mapping[str, str]) -> None:
        # TLS ends at the proxy in front of the service: the URI Authlib sees is the public one.
        super().__init__("POST", "https://rostra/oauth/token", headers=headers)
        self.payload = BasicOAuth2Payload(dict(form))
        self._form = dict(form)

    @property
    def form(self) -> dict[str, str]:
        return self._form

    @property
    def args(self) -> dict[str, str]:
        return {}


class SubsetScopeGrant(ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic"]

    def validate_requested_scope(self) -> None:
        """A token may carry only scopes its client was registered with."""
        asked = scope_to_list(self.request.payload.scope) or []
        allowed = self.request.client.row.scopes
        if any(s not in allowed for s in asked):
            raise InvalidScopeError(description="a scope this client was not registered for")


class RosterAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    """One token request: the client found beforehand (or None), a token signed for it."""

    def __init__(self, client: OneRosterClient | None, tokens: RosterTokens) -> None:
        super().__init__(scopes_supported=list(ALL_SCOPES))
        self._client = RegisteredClient(client) if client is not None else None
        self._tokens = tokens
        self.register_grant(SubsetScopeGrant)
        self.register_token_generator("default", self._generate)

    def query_client(self, client_id: str) -> RegisteredClient | None:
        if self._client is not None and self._client.get_client_id() == client_id:
            return self._client
        return None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Tokens are signed, not stored: they expire on their own within the half hour."""

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request  # already built from the parsed form by `token_response`

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def handle_response(
        self, status: int, body: dict[str, Any], headers: list[tuple[str, str]]
    ) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        return status, body, headers

    def _generate(self, client: RegisteredClient, scope: str | None, **_: Any) -> dict[str, Any]:
        granted = client.get_allowed_scope(scope)
        token = self._tokens.issue(client.row.id, client.row.tenant_id, granted, clock.now())
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": TOKEN_SECONDS,
            "scope": granted,
        }


def token_response(
    client: OneRosterClient | None,
    tokens: RosterTokens,
    form: Mapping[str, str],
    headers: Mapping[str, str],
) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
    server = RosterAuthorizationServer(client, tokens)
    result: tuple[int, dict[str, Any], list[tuple[str, str]]] = server.create_token_response(
        TokenRequest(form, headers)
    )
    return result

"""Short-lived bearer tokens of OneRoster clients: signed (HS256), naming client, school, scopes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from app.core.ids import parse_id
from app.core.security import derive_key

TOKEN_SECONDS = 1800
ALG = "HS256"
AUDIENCE = "oneroster"


@dataclass(frozen=True)
class TokenClaims:
    client_row_id: uuid.UUID
    tenant_id: uuid.UUID
    scopes: frozenset[str]


class RosterTokens:
    """A key of its own (derived from the service secret), so no other token passes here."""

    def __init__(self, secret_key: str) -> None:
        self._key = OctKey.import_key(derive_key(secret_key, "oneroster-token"))

    def issue(
        self, client_row_id: uuid.UUID, tenant_id: uuid.UUID, scope: str, now: datetime
    ) -> str:
        claims = {
            "sub": str(client_row_id),
            "tid": str(tenant_id),
            "scope": scope,
            "aud": AUDIENCE,
            "iat": int(now.timestamp()),
            "exp": int(now.timestamp()) + TOKEN_SECONDS,
        }
        return jwt.encode({"alg": ALG}, claims, self._key, [ALG])

    def verify(self, token: str, now: datetime) -> TokenClaims | None:
        try:
            claims = jwt.decode(token, self._key, [ALG]).claims
            if claims.get("aud") != AUDIENCE or int(claims["exp"]) <= now.timestamp():
                return None
            client_row_id, tenant_id = parse_id(claims["sub"]), parse_id(claims["tid"])
        except (JoseError, ValueError, KeyError, TypeError):
            return None
        if client_row_id is None or tenant_id is None:
            return None
        return TokenClaims(client_row_id, tenant_id, frozenset(str(claims["scope"]).split()))

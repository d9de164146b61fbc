"""Validating a provider's ID token: signature from its JWKS, then Authlib's OIDC claims rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import ClaimError, JoseError
from joserfc.jwk import KeySet

from app.core.errors import Unauthorized
from app.identity.provider import Provider

ALGORITHMS = ["RS256", "ES256", "PS256", "EdDSA"]
LEEWAY_SECONDS = 30  # clocks of Rostra and the provider may differ a little
MAX_SUBJECT = 255  # OIDC Core: at most 255 ASCII characters


class InvalidIdToken(Unauthorized):
    type, title = "invalid-id-token", "The identity provider's ID token was refused"


def validate_id_token(
    raw: str,
    jwks: dict[str, Any],
    provider: Provider,
    *,
    nonce: str,
    access_token: str | None,
    now: datetime,
) -> dict[str, Any]:
    """The claims of a token signed by the provider for this client, now, for this attempt."""
    try:
        keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
        decoded = jwt.decode(raw, keys, algorithms=ALGORITHMS)
    except (JoseError, ValueError, KeyError, TypeError):
        raise InvalidIdToken(
            "the ID token is not signed by a key of the provider", claim="signature"
        ) from None
    claims = CodeIDToken(
        decoded.claims,
        decoded.header,
        options={
            "iss": {"essential": True, "value": provider.issuer},
            "aud": {"essential": True, "value": provider.client_id},
            "sub": {"essential": True},
        },
        params={"nonce": nonce, "client_id": provider.client_id, "access_token": access_token},
    )
    try:
        claims.validate(now=int(now.timestamp()), leeway=LEEWAY_SECONDS)
    except ClaimError as exc:
        raise InvalidIdToken(
            f"the ID token's {exc.claim!r} claim is refused", claim=exc.claim
        ) from None
    except JoseError as exc:
        raise InvalidIdToken(f"the ID token is refused: {exc.error}", claim="token") from None
    subject = claims.get("sub")
    if not isinstance(subject, str) or not 0 < len(subject) <= MAX_SUBJECT:
        raise InvalidIdToken("the ID token's 'sub' claim is refused", claim="sub")
    return dict(claims)

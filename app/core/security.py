"""Security primitives: keyed hashes, field encryption, random secrets, signed access tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from app.core import clock
from app.core.config import Settings
from app.core.signing_keys import JWT_ALG, KeyRing


def derive_key(secret: str, purpose: str) -> bytes:
    """One secret in settings, a separate key per use (so one leaked use reveals no other)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"rostra", info=purpose.encode()).derive(
        secret.encode()
    )


def keyed_hash(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def sha256_hex(value: str) -> str:
    """For high-entropy secrets (refresh tokens, API keys) a plain digest is enough."""
    return hashlib.sha256(value.encode()).hexdigest()


def random_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def random_code(digits: int = 6) -> str:
    return f"{secrets.randbelow(10**digits):0{digits}d}"


class FieldCipher:
    """AES-256-GCM for personal fields stored at rest (phone numbers)."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), None)
        return base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, token: str) -> str:
        raw = base64.urlsafe_b64decode(token.encode())
        return self._aead.decrypt(raw[:12], raw[12:], None).decode()


@dataclass(frozen=True)
class AccessClaims:
    account_id: str
    expires_at: datetime
    staff: bool
    session_id: str | None = None  # the device session (refresh-token family) it belongs to


class TokenSigner:
    """Short-lived ES256 access tokens; public keys are served as a JWKS."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        lifetime = timedelta(minutes=settings.access_token_minutes)
        self.ring = KeyRing(self._base_pem, settings.var_dir / "jwt_keys", lifetime)

    def _base_pem(self) -> str:
        pem = self.settings.jwt_private_key_pem
        return pem or _development_key(self.settings.var_dir / "jwt_es256.pem")

    @property
    def key(self) -> ECKey:
        """The key that signs now: the newest of the ring."""
        return self.ring.signing_key()

    def jwks(self, now: datetime | None = None) -> dict[str, Any]:
        """The public keys that still verify: the signing key and recently retired ones."""
        live = self.ring.live_keys(now or clock.now())
        return dict(live.as_dict(private=False))

    def issue(
        self, account_id: str, now: datetime, *, staff: bool = False, sid: str | None = None
    ) -> tuple[str, int]:
        lifetime = timedelta(minutes=self.settings.access_token_minutes)
        claims: dict[str, Any] = {
            "sub": account_id,
            "iat": int(now.timestamp()),
            "exp": int((now + lifetime).timestamp()),
            "iss": "rostra",
            "staff": staff,
        }
        if sid is not None:
            claims["sid"] = sid
        key = self.key
        token = jwt.encode({"alg": JWT_ALG, "kid": key.kid}, claims, key, [JWT_ALG])
        return token, int(lifetime.total_seconds())

    def verify(self, token: str, now: datetime) -> AccessClaims | None:
        try:
            decoded = jwt.decode(token, self.ring.live_keys(now), [JWT_ALG])
            claims = decoded.claims
            exp = int(claims["exp"])
            if claims.get("iss") != "rostra" or exp <= now.timestamp():
                return None
            return AccessClaims(
                account_id=str(claims["sub"]),
                expires_at=datetime.fromtimestamp(exp, tz=now.tzinfo),
                staff=bool(claims.get("staff", False)),
                session_id=str(claims["sid"]) if "sid" in claims else None,
            )
        except (JoseError, ValueError, KeyError, TypeError, OverflowError, OSError):
            return None  # any malformed claim (exp 1e20 overflows a datetime): not a token


def _development_key(path: Path) -> str:
    """The development signing key, made once even when several workers start together."""
    if path.exists():
        return path.read_text()
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = ECKey.generate_key("P-256").as_pem(private=True).decode()
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(pem)
    tmp.chmod(0o600)
    try:
        os.link(tmp, path)  # never replaces: the first process's key is everyone's key
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text()


class Keys:
    """Every key the service derives from its secret."""

    def __init__(self, settings: Settings) -> None:
        self.phone_lookup = derive_key(settings.secret_key, "phone-lookup")
        self.otp = derive_key(settings.secret_key, "otp-code")
        self.ip_hash = derive_key(settings.secret_key, "ip-hash")
        self.link_signing = derive_key(settings.secret_key, "signed-links")
        self.oidc = derive_key(settings.secret_key, "oidc-attempt")  # PKCE verifier, nonce
        self.phone_cipher = FieldCipher(derive_key(settings.secret_key, "phone-encryption"))
        self.signer = TokenSigner(settings)

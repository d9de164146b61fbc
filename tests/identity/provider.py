"""A minimal OpenID Connect provider the tests run on 127.0.0.1 (uvicorn in a thread).

Discovery, an authorize endpoint that consents at once and redirects back with a code,
a token endpoint (client_secret_basic, PKCE S256 checked), and its JWKS with its own RSA
key. A test can make it misbehave: another issuer or audience, an expired ID token, a
signature by a key it does not publish, a phone that is not verified.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from fastapi import FastAPI, Form, Header, HTTPException, Query
from fastapi.responses import JSONResponse, RedirectResponse
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey


@dataclass
class Person:
    subject: str
    phone: str | None
    phone_verified: bool = True


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    nonce: str | None
    challenge: str | None


@dataclass
class TestProvider:
    client_id: str
    client_secret: str
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "p1"}))
    port: int = 0
    person: Person = field(default_factory=lambda: Person("sub-1", "+8613800000201"))
    claims_override: dict[str, Any] = field(default_factory=dict)
    sign_with: RSAKey | None = None  # a key the JWKS does not hold
    sign_alg: str = "RS256"  # "HS256" (a shared-secret MAC) or "none": never to be accepted
    grants: dict[str, Grant] = field(default_factory=dict)
    phone_only_in_userinfo: bool = False
    access_tokens: set[str] = field(default_factory=set)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self) -> None:
        self.person = Person("sub-1", "+8613800000201")
        self.claims_override = {}
        self.sign_with = None
        self.sign_alg = "RS256"
        self.phone_only_in_userinfo = False
        self.grants.clear()

    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": self.person.subject,
            "aud": grant.client_id,
            "iat": now,
            "exp": now + 300,
        }
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        if not self.phone_only_in_userinfo:
            claims.update(self.phone_claims())
        claims.update(self.claims_override)
        if self.sign_alg == "none":
            parts = [{"alg": "none", "kid": "p1"}, claims]
            return ".".join(_b64(json.dumps(p).encode()) for p in parts) + "."
        if self.sign_alg == "HS256":
            secret = OctKey.import_key(self.client_secret.encode())
            return jwt.encode({"alg": "HS256", "kid": "p1"}, claims, secret, ["HS256"])
        key = self.sign_with or self.key
        return jwt.encode({"alg": "RS256", "kid": "p1"}, claims, key)

    def phone_claims(self) -> dict[str, Any]:
        if self.person.phone is None:
            return {}
        return {
            "phone_number": self.person.phone,
            "phone_number_verified": self.person.phone_verified,
        }

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/.well-known/openid-configuration")
        def discovery() -> dict[str, Any]:
            return {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "userinfo_endpoint": f"{self.issuer}/userinfo",
                "response_types_supported": ["code"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            }

        @app.get("/jwks")
        def jwks() -> dict[str, Any]:
            return {"keys": [self.key.as_dict(private=False)]}

        @app.get("/userinfo")
        def userinfo(authorization: str = Header("")) -> JSONResponse:
            if authorization.removeprefix("Bearer ") not in self.access_tokens:
                return JSONResponse({"error": "invalid_token"}, status_code=401)
            return JSONResponse({"sub": self.person.subject, **self.phone_claims()})

        @app.get("/authorize")
        def authorize(
            client_id: str,
            redirect_uri: str,
            state: str,
            response_type: str = "code",
            nonce: str | None = None,
            code_challenge: str | None = None,
            code_challenge_method: str | None = None,
            scope: str = Query(""),
        ) -> RedirectResponse:
            if client_id != self.client_id or response_type != "code" or "openid" not in scope:
                raise HTTPException(400, "bad authorization request")
            if code_challenge_method != "S256":
                raise HTTPException(400, "PKCE S256 required")
            code = secrets.token_urlsafe(16)
            self.grants[code] = Grant(client_id, redirect_uri, nonce, code_challenge)
            query = urlencode({"code": code, "state": state})
            return RedirectResponse(f"{redirect_uri}?{query}", status_code=302)

        @app.post("/token")
        def token(
            grant_type: str = Form(),
            code: str = Form(),
            redirect_uri: str = Form(),
            code_verifier: str = Form(),
            authorization: str = Header(""),
        ) -> JSONResponse:
            expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            if authorization != f"Basic {expected}":
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            grant = self.grants.pop(code, None)
            if grant_type != "authorization_code" or grant is None:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            digest = hashlib.sha256(code_verifier.encode()).digest()
            challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            if challenge != grant.challenge or redirect_uri != grant.redirect_uri:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            access_token = secrets.token_urlsafe(16)
            self.access_tokens.add(access_token)
            return JSONResponse(
                {
                    "access_token": access_token,
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": self.id_token(grant),
                }
            )

        return app


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Running:
    """A provider served by uvicorn in a daemon thread until `stop()`."""

    def __init__(self, provider: TestProvider) -> None:
        provider.port = free_port()
        config = uvicorn.Config(
            provider.app(),
            host="127.0.0.1",
            port=provider.port,
            log_level="warning",
            lifespan="off",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test provider did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)

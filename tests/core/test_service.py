"""Health, docs, errors, request ids, settings (issue #3)."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import ValidationError

from app.accounts.sms import HttpSender, SmsUnavailable
from app.core.config import Settings


async def test_health_ready_and_openapi(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ready"}
    spec = (await client.get("/openapi.json")).json()
    assert "/v1/auth/otp" in spec["paths"]
    assert (await client.get("/docs")).status_code == 200


async def test_request_id_is_returned_and_kept(client):
    r = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["X-Request-ID"] == "abc-123"
    r = await client.get("/healthz")
    assert len(r.headers["X-Request-ID"]) >= 16


async def test_validation_error_is_problem_json_naming_the_field(client):
    r = await client.post("/v1/auth/token", json={"phone": "13800000001"})
    assert r.status_code == 422
    body = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert body["field"] == "code"
    assert body["type"].endswith("/validation") and body["status"] == 422


def test_production_start_with_default_secret_fails():
    with pytest.raises(ValidationError, match="ROSTRA_SECRET_KEY"):
        Settings(env="production")
    env = {"ROSTRA_ENV": "production", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "ROSTRA_SECRET_KEY" in done.stderr


def test_production_start_with_the_default_audit_key_fails():
    """The audit chain's key must be a production secret of its own (SEC-7)."""
    secret = "s" * 40
    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    rest = {"jwt_private_key_pem": pem, "sms_backend": "http", "sms_gateway_url": "https://sms/x"}
    with pytest.raises(ValidationError, match="ROSTRA_AUDIT_KEY"):
        Settings(env="production", secret_key=secret, **rest)
    with pytest.raises(ValidationError, match="ROSTRA_AUDIT_KEY"):
        Settings(env="production", secret_key=secret, audit_key=secret, **rest)
    Settings(env="production", secret_key=secret, audit_key="a" * 40, **rest)


async def test_http_sms_sender_retries_then_delivers():
    calls: list[dict[str, object]] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        calls.append(
            {"json": request.read().decode(), "auth": request.headers.get("authorization")}
        )
        return httpx.Response(503 if len(calls) == 1 else 200)

    settings = Settings(
        sms_backend="http", sms_gateway_url="http://sms.test/send", sms_gateway_token="t0k"
    )
    sender = HttpSender(settings, transport=httpx.MockTransport(gateway))
    await sender.send(None, "+8613800000001", "hello", "123456")  # type: ignore[arg-type]
    assert len(calls) == 2
    assert calls[1]["auth"] == "Bearer t0k"
    assert "+8613800000001" in str(calls[1]["json"])


async def test_http_sms_sender_gives_up_with_503():
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    settings = Settings(sms_backend="http", sms_gateway_url="http://sms.test/send", sms_retries=1)
    sender = HttpSender(settings, transport=httpx.MockTransport(down))
    with pytest.raises(SmsUnavailable):
        await sender.send(None, "+8613800000001", "hello", None)  # type: ignore[arg-type]

"""A production start refuses what would leak codes or fail on every token route (#11)."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from pydantic import ValidationError

from app.core.config import Settings
from tests.conftest import latest_code, make_settings

SECRET = "a-production-secret-that-is-long-enough-42"


def _pem(key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _production(**over: object) -> Settings:
    values: dict[str, object] = {
        "env": "production",
        "secret_key": SECRET,
        "audit_key": "an-audit-key-of-its-own-that-is-long-enough-7",
        "jwt_private_key_pem": _pem(ec.generate_private_key(ec.SECP256R1())),
        "sms_backend": "http",
        "sms_gateway_url": "https://sms.example/send",
    }
    return Settings(**(values | over))


def test_production_refuses_the_console_sms_sender():
    assert _production().sms_backend == "http"
    with pytest.raises(ValidationError, match="ROSTRA_SMS_BACKEND=console"):
        _production(sms_backend="console")


@pytest.mark.parametrize(
    "key",
    [ed25519.Ed25519PrivateKey.generate(), ec.generate_private_key(ec.SECP384R1())],
    ids=["ed25519", "p384"],
)
def test_production_refuses_a_jwt_key_that_is_not_p256(key):
    with pytest.raises(ValidationError, match="P-256"):
        _production(jwt_private_key_pem=_pem(key))
    with pytest.raises(ValidationError, match="P-256"):
        _production(jwt_private_key_pem="not a pem")


async def test_no_login_code_appears_in_the_json_log(database, tmp_path, owner, capfd):
    import httpx

    from app.main import create_app

    app = create_app(make_settings(database, tmp_path, log_json=True))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://rostra.test") as client:
        sent = await client.post("/v1/auth/otp", json={"phone": "+8613800000991"})
        assert sent.status_code == 202, sent.text
    await app.state.ctx.db.dispose()
    code = await latest_code(owner, "+8613800000991")
    logged = capfd.readouterr().err
    lines = [json.loads(line) for line in logged.splitlines() if line.startswith("{")]
    assert any(line.get("event") == "sms.console" for line in lines), logged
    assert code not in logged

"""Two schools, each with its own OpenID Connect provider served on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.config import ROOT, Settings
from tests.conftest import TestDatabase, make_settings
from tests.identity.provider import Running, TestProvider

SECRETS = {"demo-north": "north-client-secret", "demo-south": "south-client-secret"}


@pytest.fixture(scope="session")
def _providers() -> Iterator[dict[str, TestProvider]]:
    made = {
        slug: TestProvider(client_id=f"rostra-{slug}", client_secret=secret)
        for slug, secret in SECRETS.items()
    }
    running = [Running(p) for p in made.values()]
    yield made
    for server in running:
        server.stop()


@pytest.fixture
def providers(
    _providers: dict[str, TestProvider], monkeypatch: pytest.MonkeyPatch
) -> dict[str, TestProvider]:
    for slug, provider in _providers.items():
        provider.reset()
        monkeypatch.setenv(_secret_setting(slug), provider.client_secret)
    return _providers


def _secret_setting(slug: str) -> str:
    return "ROSTRA_OIDC_" + slug.upper().replace("-", "_") + "_SECRET"


def write_tenants(directory: Path, providers: dict[str, TestProvider]) -> Path:
    """The demo tenant files, each naming its school's provider in `[oidc]`."""
    directory.mkdir(parents=True, exist_ok=True)
    for slug, provider in providers.items():
        text = (ROOT / "tenants" / f"{slug}.toml").read_text()
        text += (
            "\n[oidc]\n"
            f'issuer = "{provider.issuer}"\n'
            f'client_id = "{provider.client_id}"\n'
            f'client_secret_setting = "{_secret_setting(slug)}"\n'
            'scopes = ["openid", "phone"]\n'
            'phone_claim = "phone_number"\n'
        )
        (directory / f"{slug}.toml").write_text(text)
    return directory


@pytest.fixture
def settings(
    database: TestDatabase, tmp_path: Path, providers: dict[str, TestProvider]
) -> Settings:
    tenants = write_tenants(tmp_path / "tenants", providers)
    return make_settings(database, tmp_path, tenants_dir=tenants)

"""`tenants/<slug>.toml`: a school declared as code."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.core.phones import InvalidPhone, normalize


class TenantFileError(Exception):
    def __init__(self, path: Path, key: str, reason: str) -> None:
        super().__init__(f"{path.name}: {key}: {reason}")
        self.path, self.key, self.reason = path, key, reason


class AdminSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: str
    name: str | None = Field(default=None, max_length=200)

    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str) -> str:
        try:
            return normalize(value)
        except InvalidPhone as exc:
            raise ValueError(str(exc)) from None


class OneRosterSpec(BaseModel):
    """`[oneroster]`: the OneRoster org sourcedIds that are this school in a district's file,
    and the region national phone numbers are read in (default: the school's region)."""

    model_config = ConfigDict(extra="forbid")
    orgs: list[str] = Field(default_factory=list, max_length=100)
    phone_region: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")


class OidcSpec(BaseModel):
    """`[oidc]`: the school's OpenID Connect provider. The secret stays in the environment:
    `client_secret_setting` names the variable (`ROSTRA_OIDC_...`) that holds it."""

    model_config = ConfigDict(extra="forbid")
    issuer: str = Field(max_length=255, pattern=r"^(https://|http://(127\.0\.0\.1|localhost)[:/])")
    client_id: str = Field(min_length=1, max_length=255)
    client_secret_setting: str = Field(pattern=r"^ROSTRA_OIDC_[A-Z0-9_]{1,64}$")
    scopes: list[str] = Field(default_factory=lambda: ["openid", "phone"], max_length=20)
    phone_claim: str = Field(default="phone_number", min_length=1, max_length=64)

    @field_validator("scopes")
    @classmethod
    def _openid(cls, value: list[str]) -> list[str]:
        if "openid" not in value:
            raise ValueError("must include 'openid'")
        return value


class LimitsSpec(BaseModel):
    """`[limits]`: this school's share of the platform (unset: the platform's settings)."""

    model_config = ConfigDict(extra="forbid")
    ingest_events_per_minute: int | None = Field(default=None, ge=1, le=10_000_000)


class TenantSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
    name: str = Field(min_length=1, max_length=200)
    region: str = Field(min_length=2, max_length=64)
    notice_version: str = Field(default="1", min_length=1, max_length=32)
    options: dict[str, bool] = Field(default_factory=dict)
    retention: dict[str, int] = Field(default_factory=dict)
    # Analytics: days, weeks and terms are counted in this zone; a first join more than
    # `late_after_minutes` after the lesson's actual start is "late".
    time_zone: str = Field(default="Asia/Shanghai", max_length=64)
    late_after_minutes: int = Field(default=5, ge=0, le=240)
    # Offboarding: the school's data is deleted this many days after its admin asks (#17).
    offboarding_notice_days: int = Field(default=30, ge=1, le=365)
    admins: list[AdminSpec] = Field(min_length=1)
    oneroster: OneRosterSpec = Field(default_factory=OneRosterSpec)
    oidc: OidcSpec | None = None
    limits: LimitsSpec = Field(default_factory=LimitsSpec)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value


def load_tenant_file(path: Path) -> tuple[TenantSpec, str]:
    raw = path.read_bytes()
    try:
        data: dict[str, Any] = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TenantFileError(path, "(file)", f"not valid TOML: {exc}") from None
    try:
        spec = TenantSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(file)"
        raise TenantFileError(path, key, first["msg"]) from None
    if spec.slug != path.stem:
        raise TenantFileError(path, "slug", f"must match the file name '{path.stem}'")
    return spec, hashlib.sha256(raw).hexdigest()


def load_tenant_dir(directory: Path) -> list[tuple[TenantSpec, str]]:
    """All files, or the first error: a bad file means nothing is applied."""
    specs = [load_tenant_file(p) for p in sorted(directory.glob("*.toml"))]
    seen: set[str] = set()
    for spec, _ in specs:
        if spec.slug in seen:
            raise TenantFileError(directory / f"{spec.slug}.toml", "slug", "declared twice")
        seen.add(spec.slug)
    return specs


def calling_regions(directory: Path) -> set[str]:
    """The phone regions of the declared schools (`CN-BJ` -> `CN`, or `[oneroster]
    phone_region`): where login codes go by default. Empty if no file declares one."""
    if not directory.is_dir():
        return set()
    regions = set()
    for spec, _ in load_tenant_dir(directory):
        region = spec.oneroster.phone_region or spec.region.split("-", 1)[0].upper()
        if region in phonenumbers.SUPPORTED_REGIONS:
            regions.add(region)
    return regions

"""`tenants/<slug>.toml`: a school declared as code."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    admins: list[AdminSpec] = Field(min_length=1)
    oneroster: OneRosterSpec = Field(default_factory=OneRosterSpec)
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

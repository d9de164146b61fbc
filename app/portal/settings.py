"""`ROSTRA_PORTAL_*`: how long an idle portal session lives; when an import runs as a job."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class PortalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROSTRA_PORTAL_", env_file=".env", extra="ignore")

    idle_minutes: int = 30
    # A roster file larger than this is applied by a job the page follows (its progress).
    import_inline_bytes: int = 2**20

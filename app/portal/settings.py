"""`ROSTRA_PORTAL_*`: how long an idle portal session lives."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class PortalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROSTRA_PORTAL_", env_file=".env", extra="ignore")

    idle_minutes: int = 30

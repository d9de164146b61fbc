"""`ROSTRA_EXPORT_*`: how long recording links in an export live; a pause for the kill test."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class ExportSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROSTRA_EXPORT_", env_file=".env", extra="ignore")

    link_seconds: int = 7 * 24 * 3600  # presigned S3 links cannot outlive 7 days
    # Seconds to wait after each file: lets a test kill a worker in the middle of an export.
    pause_seconds: float = 0.0

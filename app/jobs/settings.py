"""How jobs run: `ROSTRA_JOBS_*` (in-process worker, polling, stalled-job recovery)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class JobSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROSTRA_JOBS_", env_file=".env", extra="ignore")

    # None: an in-process worker under SQLite only; PostgreSQL runs `rostra worker`.
    in_process: bool | None = None
    poll_seconds: float = 0.5
    # A job whose worker sent no heartbeat for this long is run again (killed worker).
    stalled_seconds: float = 30.0
    heartbeat_seconds: float = 5.0
    max_attempts: int = 5
    concurrency: int = 2

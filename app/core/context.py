"""What a running service holds: settings, database, keys. One per app instance."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.core.config import Settings
from app.core.db import Database
from app.core.metrics import Metrics
from app.core.security import Keys


@dataclass
class ServiceContext:
    settings: Settings
    db: Database
    keys: Keys
    metrics: Metrics = field(default_factory=Metrics)

    @classmethod
    def build(cls, settings: Settings) -> ServiceContext:
        return cls(settings=settings, db=Database(settings), keys=Keys(settings))

"""The ring of access-token signing keys: the newest signs, retired ones verify until expiry.

`rostra keys rotate` writes a new ES256 key to `<var_dir>/jwt_keys/<UTC time>.pem`. A key is
retired when a newer one is written and stays in the JWKS (and verifies) for one access-token
lifetime more, so nobody is logged out by a rotation. Running servers notice a rotation by
the folder changing, without a restart.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from joserfc.jwk import ECKey, KeySet

JWT_ALG = "ES256"
_STAMP = "%Y%m%dT%H%M%S%fZ"


@dataclass(frozen=True)
class RingKey:
    key: ECKey
    created_at: datetime | None  # None: the base key (settings or the development file)


def import_signing_key(pem: str) -> ECKey:
    key = ECKey.import_key(pem)
    return ECKey.import_key(pem, parameters={"kid": key.thumbprint(), "use": "sig", "alg": JWT_ALG})


class KeyRing:
    def __init__(self, base_pem: Callable[[], str], directory: Path, lifetime: timedelta) -> None:
        self._base_pem = base_pem
        self.directory = directory
        self.lifetime = lifetime
        self._lock = threading.Lock()
        self._seen: tuple[int, int] | None = None
        self._keys: list[RingKey] = []

    def _state(self) -> tuple[int, int]:
        try:
            stat = os.stat(self.directory)
        except FileNotFoundError:
            return (0, 0)
        return (stat.st_mtime_ns, stat.st_ino)

    def keys(self) -> list[RingKey]:
        """Oldest first; reread when the folder changed since the last read."""
        state = self._state()
        if state != self._seen or not self._keys:
            with self._lock:
                self._keys = [RingKey(import_signing_key(self._base_pem()), None)]
                for path in sorted(self.directory.glob("*.pem")) if state[0] else []:
                    created = datetime.strptime(path.stem, _STAMP).replace(tzinfo=UTC)
                    self._keys.append(RingKey(import_signing_key(path.read_text()), created))
                self._seen = state
        return self._keys

    def signing_key(self) -> ECKey:
        return self.keys()[-1].key

    def live_keys(self, now: datetime) -> KeySet:
        """The signing key and every retired key whose tokens may not have expired yet."""
        ring = self.keys()
        live = [newer.key for newer in ring[-1:]]
        for older, newer in itertools.pairwise(ring):
            assert newer.created_at is not None
            if newer.created_at + self.lifetime > now:
                live.insert(0, older.key)
        return KeySet(list(live))


def rotate(directory: Path, now: datetime) -> str:
    """Writes a new signing key (private, mode 0600); returns its key id."""
    directory.mkdir(parents=True, exist_ok=True)
    pem = ECKey.generate_key("P-256").as_pem(private=True).decode()
    path = directory / f"{now.astimezone(UTC).strftime(_STAMP)}.pem"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(pem)
    tmp.chmod(0o600)
    tmp.replace(path)
    return str(import_signing_key(pem).kid)

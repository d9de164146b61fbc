"""A session's coarse location: the city of its IP address, only with the person's consent.

Rostra bundles no IP database: no maintained package ships an offline city database we
could vendor (see docs/decisions/2026-12-04-session-location.md). The operator may point
`ROSTRA_SESSION_LOCATION_TABLE` at a CSV of `network,city` lines (longest prefix wins);
without one, or without consent, a session has no location.
"""

from __future__ import annotations

import csv
import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from app.core.config import Settings
from app.core.logging import log

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class CityTable:
    """Networks by prefix length, so a lookup is one dict probe per length, longest first."""

    by_length: dict[tuple[int, int], dict[int, str]]  # (version, prefix) -> network -> city

    def city(self, ip: str) -> str | None:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return None
        bits = address.max_prefixlen
        for version, prefix in sorted(self.by_length, key=lambda k: -k[1]):
            if version != address.version:
                continue
            masked = int(address) >> (bits - prefix) << (bits - prefix) if prefix else 0
            found = self.by_length[(version, prefix)].get(masked)
            if found is not None:
                return found
        return None


def read_table(path: Path) -> CityTable:
    """`network,city` per line; blank lines and `#` comments are skipped."""
    by_length: dict[tuple[int, int], dict[int, str]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            if not row or row[0].lstrip().startswith("#") or len(row) < 2:
                continue
            try:
                network: IpNetwork = ipaddress.ip_network(row[0].strip(), strict=False)
            except ValueError:
                continue  # a header line, or a typo: that line only
            city = row[1].strip()[:100]
            if city:
                key = (network.version, network.prefixlen)
                by_length.setdefault(key, {})[int(network.network_address)] = city
    return CityTable(by_length)


@lru_cache(maxsize=2)
def _table(path: Path, mtime: float) -> CityTable:
    return read_table(path)


def city_of(settings: Settings, ip: str | None) -> str | None:
    """The city of `ip` in the configured table; None without a table, an IP or a match."""
    path = settings.session_location_table
    if path is None or not ip:
        return None
    try:
        return _table(path, path.stat().st_mtime).city(ip)
    except OSError as exc:  # a missing table must not stop anyone signing in
        log.warning("session location table unreadable", path=str(path), error=repr(exc))
        return None

"""Against SMS pumping (#11): which numbers get a login code, and how many go out an hour.

A number outside the allowed calling regions is answered exactly like any other (same
body, same per-number limits) but nothing is sent, so the answer tells no region apart.
Every code request is counted in the `smssend` table, which every API process shares, under
a cap per client IP and a cap on all codes really sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import phonenumbers
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository
from app.accounts.models import SmsSend
from app.core.config import Settings
from app.core.errors import TooMany
from app.core.security import Keys, keyed_hash

WINDOW = timedelta(hours=1)


def calling_region(e164: str) -> str:
    """`+8613800000001` -> `CN`; numbers of no one country (`+800…`) -> `001`."""
    return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None)) or "ZZ"


def allowed_regions(settings: Settings) -> set[str]:
    """The setting, or (not filled in, e.g. outside `create_app`) the default region only."""
    return set(settings.sms_allowed_regions or [settings.default_region])


def _retry_after(oldest: datetime | None, now: datetime) -> int:
    return int(((oldest or now) + WINDOW - now).total_seconds()) + 1


async def count_send(
    session: AsyncSession,
    settings: Settings,
    keys: Keys,
    client_ip: str | None,
    region: str,
    now: datetime,
) -> bool:
    """Counts one code request; True if the code may really be sent. TooMany over a cap.

    Both caps are checked for every request, delivered or not, so a refused region sees the
    same 429s as an allowed one; only delivered codes fill the global cap.
    """
    since = now - WINDOW
    ip_hash = keyed_hash(keys.ip_hash, client_ip) if client_ip else None
    if ip_hash is not None:
        count, oldest = await repository.sms_sends_since(session, since, ip_hash=ip_hash)
        if count >= settings.sms_ip_hourly_limit:
            raise TooMany("too many codes were asked for from this address; try again later",
                          _retry_after(oldest, now))  # fmt: skip
    count, oldest = await repository.sms_sends_since(session, since, delivered=True)
    if count >= settings.sms_global_hourly_limit:
        raise TooMany("too many codes are being sent right now; try again later",
                      _retry_after(oldest, now))  # fmt: skip
    deliver = region in allowed_regions(settings)
    await repository.prune_sms_sends(session, before=since)
    session.add(SmsSend(at=now, ip_hash=ip_hash, region=region, delivered=deliver))
    return deliver

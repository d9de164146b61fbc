"""Devices and sessions: each refresh-token family is a session the person can end (ACC-12/13)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import device_repository, locating, repository, service
from app.accounts.models import Account, DeviceSession, PlatformConsent
from app.core import clock
from app.core.config import Settings
from app.core.errors import NotFound
from app.core.security import Keys
from app.core.vocabulary import ConsentCategory

# First match wins: Edge and Opera also name Chrome, Chrome also names Safari.
_BROWSERS = [("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome")]
_BROWSERS += [("Safari/", "Safari"), ("MicroMessenger/", "WeChat")]
_SYSTEMS = [("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad")]
_SYSTEMS += [("Windows", "Windows"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS")]
_SYSTEMS += [("Linux", "Linux")]
_CLIENT_NAME = re.compile(r"[^\w .,()'+-]", re.UNICODE)


@dataclass(frozen=True)
class Device:
    """What the sign-in request says about the device: a client-sent name or its user agent."""

    client_name: str | None
    user_agent: str | None
    ip: str | None = None  # for a city, only with the person's consent (app/accounts/locating)

    @property
    def name(self) -> str:
        if self.client_name and self.client_name.strip():
            return _CLIENT_NAME.sub("", self.client_name.strip())[:100] or "Unknown device"
        return device_name_from_user_agent(self.user_agent or "")


def device_name_from_user_agent(user_agent: str) -> str:
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return str(browser or system)
    product = user_agent.split(" ", 1)[0].split("/", 1)[0].strip()
    return _CLIENT_NAME.sub("", product)[:100] or "Unknown device"


async def sign_in(
    session: AsyncSession,
    settings: Settings,
    keys: Keys,
    account: Account,
    device: Device,
    via: str,
) -> service.TokenPair:
    """A new token pair in a new family, recorded as a session of this device."""
    now = clock.now()
    account.last_login_at = now
    if via == "code":
        account.code_required = False  # the fresh SMS code a compromise report asked for
    pair = await service.issue_tokens(session, settings, keys, account)
    session.add(
        DeviceSession(
            account_id=account.id,
            family_id=pair.family_id,
            device_name=device.name,
            signed_in_via=via,
            location=await coarse_location(session, settings, account, device.ip),
            created_at=now,
            last_used_at=now,
        )
    )
    return pair


async def coarse_location(
    session: AsyncSession, settings: Settings, account: Account, ip: str | None
) -> str | None:
    """The city of the IP address if the person consented (ACC-12); otherwise none."""
    if ip is None or settings.session_location_table is None:
        return None
    consent = await device_repository.platform_consent(
        session, account.id, ConsentCategory.LOCATION
    )
    return locating.city_of(settings, ip) if consent is not None else None


async def location_consent(session: AsyncSession, account: Account) -> PlatformConsent | None:
    return await device_repository.platform_consent(session, account.id, ConsentCategory.LOCATION)


async def set_location_consent(
    session: AsyncSession, account: Account, granted: bool
) -> PlatformConsent | None:
    """Opt-in; idempotent. Withdrawing also forgets the city of every session."""
    current = await location_consent(session, account)
    if granted and current is None:
        current = PlatformConsent(account_id=account.id, category=ConsentCategory.LOCATION)
        session.add(current)
        await session.flush()
    elif not granted:
        if current is not None:
            await session.delete(current)
            current = None
        await device_repository.forget_locations(session, account.id)
    return current


async def touch(session: AsyncSession, family_id: uuid.UUID) -> None:
    """A refresh used the session: its last use moves on."""
    found = await device_repository.session_by_family(session, family_id)
    if found is not None:
        found.last_used_at = clock.now()


async def list_sessions(session: AsyncSession, account: Account) -> list[DeviceSession]:
    return await device_repository.open_sessions(session, account.id)


async def end(session: AsyncSession, account: Account, session_id: uuid.UUID) -> None:
    """Ends one of the person's sessions: its refresh tokens stop working. Foreign: 404."""
    found = await device_repository.session_of_account(session, account.id, session_id)
    if found is None or found.ended_at is not None:
        raise NotFound("no such session")
    await _end(session, found, clock.now())


async def end_all(
    session: AsyncSession, account: Account, keep_family: uuid.UUID | None = None
) -> int:
    """Ends every open session of the account except `keep_family`; how many ended."""
    now = clock.now()
    ended = 0
    for found in await device_repository.open_sessions(session, account.id):
        if found.family_id != keep_family:
            await _end(session, found, now)
            ended += 1
    # Families from before sessions were recorded end too.
    await device_repository.revoke_account_tokens(session, account.id, now, keep_family)
    return ended


async def _end(session: AsyncSession, found: DeviceSession, now: datetime) -> None:
    found.ended_at = now
    await repository.revoke_family(session, found.account_id, found.family_id, now)


async def is_fresh(
    session: AsyncSession, account: Account, family_id: uuid.UUID | None, max_age_seconds: int
) -> bool:
    """The caller's session began less than `max_age_seconds` ago and is still open."""
    if family_id is None:
        return False
    found = await device_repository.session_by_family(session, family_id)
    if found is None or found.account_id != account.id or found.ended_at is not None:
        return False
    return (clock.now() - found.created_at).total_seconds() < max_age_seconds

"""Optional passwords: argon2id off the event loop, strength rules, the shared lockout (ACC-5)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncSession
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from app.accounts import lockout
from app.accounts.models import Account
from app.core.config import Settings
from app.core.errors import Invalid, TooMany

T = TypeVar("T")

# zxcvbn's list of the 30,000 most common passwords (from leaked password sets; MIT licence).
COMMON_PASSWORDS = frozenset(FREQUENCY_LISTS["passwords"])


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def hasher(settings: Settings) -> PasswordHasher:
    return _hasher(
        settings.password_time_cost, settings.password_memory_kib, settings.password_parallelism
    )


def check_strength(settings: Settings, password: str, e164: str) -> None:
    """422 naming the first rule the password breaks: length, common, phone."""
    if len(password) < settings.password_min_length:
        raise _weak("length", f"at least {settings.password_min_length} characters")
    if len(password) > settings.password_max_length:
        raise _weak("length", f"at most {settings.password_max_length} characters")
    if password.lower() in COMMON_PASSWORDS or password.strip().lower() in COMMON_PASSWORDS:
        raise _weak("common", "this password is among the most common ones; choose another")
    digits = re.sub(r"\D", "", password)
    national = e164.lstrip("+")[-11:]
    if len(digits) >= 7 and (digits in e164 or national[-7:] in digits):
        raise _weak("phone", "the password may not contain your phone number")


def _weak(rule: str, message: str) -> Invalid:
    return Invalid("password", message, rule=rule)


_limiters: dict[int, anyio.CapacityLimiter] = {}


def _limiter(settings: Settings) -> anyio.CapacityLimiter:
    """At most `password_hash_threads` hashes at once: a burst queues, not thrashes the CPU."""
    size = settings.password_hash_threads
    if size not in _limiters:
        _limiters[size] = anyio.CapacityLimiter(size)
    return _limiters[size]


async def _in_thread(settings: Settings, fn: Callable[..., T], *args: Any) -> T:
    return await anyio.to_thread.run_sync(fn, *args, limiter=_limiter(settings))


async def hash_password(settings: Settings, password: str) -> str:
    # ~100 ms of CPU per hash: in a worker thread, so other requests keep being served.
    return await _in_thread(settings, hasher(settings).hash, password)


_NO_PASSWORD_HASHES: dict[tuple[int, int, int], str] = {}


def _no_password_hash(ph: PasswordHasher) -> str:
    """Verified against when the number has no password, so both answers take as long."""
    params = (ph.time_cost, ph.memory_cost, ph.parallelism)
    if params not in _NO_PASSWORD_HASHES:
        _NO_PASSWORD_HASHES[params] = ph.hash("no password is set for this number")
    return _NO_PASSWORD_HASHES[params]


async def verify_password(settings: Settings, account: Account | None, password: str) -> bool:
    """True if right; on a right password under old parameters the stored hash is renewed."""
    stored = account.password_hash if account is not None else None
    ph = hasher(settings)
    target = stored if stored else await _in_thread(settings, _no_password_hash, ph)
    try:
        await _in_thread(settings, ph.verify, target, password)
    except (VerificationError, InvalidHashError):
        return False
    if account is None or stored is None:
        return False
    if ph.check_needs_rehash(stored):
        account.password_hash = await hash_password(settings, password)
    return True


async def refuse_if_locked(session: AsyncSession, settings: Settings, phone_hash: str) -> None:
    """No tries left for the number (wrong codes count too): 429 with Retry-After."""
    retry = await lockout.retry_after(session, settings, phone_hash)
    if retry is not None:
        raise TooMany("too many wrong tries; wait or sign in with a new SMS code", retry)


def count_failure(session: AsyncSession, phone_hash: str) -> None:
    lockout.count_failure(session, phone_hash, via="password")


async def forget_failures(session: AsyncSession, phone_hash: str) -> None:
    await lockout.forget_failures(session, phone_hash)

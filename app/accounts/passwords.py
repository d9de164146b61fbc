"""Optional passwords: argon2id off the event loop, strength rules, the shared lockout (ACC-5)."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any, TypeVar

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


class HashingBusy(TooMany):
    type, title = "password-checks-busy", "Too many password checks at once; retry shortly"


def _lower_priority(nice: int) -> None:
    """Each hashing thread yields the CPU to the event loop: on Linux nice is per thread."""
    setpriority = getattr(os, "setpriority", None)
    native_id = getattr(threading, "get_native_id", None)
    if nice <= 0 or setpriority is None or native_id is None:
        return
    try:
        setpriority(os.PRIO_PROCESS, native_id(), nice)
    except OSError:  # not permitted here: hash at the process's priority
        return


class HashPool:
    """The threads that run argon2 (it releases the GIL), and how many hashes wait for them.

    At most `threads` hashes run at once, each on a thread of lowered priority; beyond
    `threads + queue` hashes admitted and not yet done, a new one is refused (429) rather
    than queued: a waiting login holds its request, its transaction and its connection.
    """

    def __init__(self, threads: int, queue: int, nice: int) -> None:
        self.threads, self.queue = threads, queue
        self.executor = ThreadPoolExecutor(
            max_workers=threads,
            thread_name_prefix="rostra-argon2",
            initializer=_lower_priority,
            initargs=(nice,),
        )
        self.admitted = 0
        self.seconds_per_hash = 0.1  # a running mean of the last hashes' wall time

    def retry_after(self) -> int:
        """Seconds until the hashes admitted now would be done (at least 1)."""
        return max(1, math.ceil(self.admitted * self.seconds_per_hash / self.threads))

    def admit(self) -> None:
        """429 if a hash now would find the threads busy and the queue full."""
        if self.admitted >= self.threads + self.queue:
            raise HashingBusy("too many password checks at once; retry shortly", self.retry_after())

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        self.admit()
        self.admitted += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self.executor, self._timed, fn, *args
            )
        finally:
            self.admitted -= 1

    def _timed(self, fn: Callable[..., T], *args: Any) -> T:
        started = time.perf_counter()
        try:
            return fn(*args)
        finally:
            took = time.perf_counter() - started
            self.seconds_per_hash += (took - self.seconds_per_hash) / 8


_pools: dict[tuple[int, int, int], HashPool] = {}


def hash_pool(settings: Settings) -> HashPool:
    """One pool per process and sizing (the settings of one process do not change)."""
    key = (
        settings.password_hash_threads,
        settings.password_hash_queue,
        settings.password_hash_nice,
    )
    if key not in _pools:
        _pools[key] = HashPool(*key)
    return _pools[key]


def admit(settings: Settings) -> None:
    """Before the work that leads to a hash: refuse at once (429) what the pool would refuse."""
    hash_pool(settings).admit()


async def _in_thread(settings: Settings, fn: Callable[..., T], *args: Any) -> T:
    return await hash_pool(settings).run(fn, *args)


async def hash_password(settings: Settings, password: str) -> str:
    """~170 ms of one core per hash: on a hashing thread; 429 when too many wait already."""
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
        with contextlib.suppress(HashingBusy):  # the login stands; the next one renews it
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

"""SMS senders: `console` (development outbox in the database) and `http` (a gateway)."""

from __future__ import annotations

import asyncio
from typing import Protocol

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import SmsMessage
from app.core.config import Settings
from app.core.db import set_phone_lookup
from app.core.errors import DomainError
from app.core.logging import log
from app.core.phones import mask
from app.core.security import Keys, keyed_hash


class SmsUnavailable(DomainError):
    status, type, title = 503, "sms-unavailable", "The SMS gateway is unavailable"


class SmsSender(Protocol):
    async def send(
        self, session: AsyncSession, phone: str, body: str, code: str | None
    ) -> None: ...


class ConsoleSender:
    """Keeps the message in the outbox table, where `rostra sms outbox` reads it (development).

    The log line names the masked number only: a login code never appears in a log.
    """

    def __init__(self, keys: Keys) -> None:
        self.keys = keys

    async def send(self, session: AsyncSession, phone: str, body: str, code: str | None) -> None:
        phone_hash = keyed_hash(self.keys.phone_lookup, phone)
        # Row-level security lets the outbox row in only under its own number (0009c); written
        # now, so several messages in one transaction (a report to each admin) each get theirs.
        await set_phone_lookup(session, phone_hash)
        session.add(
            SmsMessage(
                phone_hash=phone_hash,
                phone_enc=self.keys.phone_cipher.encrypt(phone),
                body=body,
                code=code,
            )
        )
        await session.flush()
        log.info("sms.console", to=mask(phone), outbox="rostra sms outbox")


class HttpSender:
    """Posts to the configured gateway, with a timeout and a few retries."""

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None):
        if not settings.sms_gateway_url:
            raise ValueError("ROSTRA_SMS_GATEWAY_URL is required with ROSTRA_SMS_BACKEND=http")
        self.url = settings.sms_gateway_url
        self.token = settings.sms_gateway_token
        self.timeout = settings.sms_timeout_seconds
        self.retries = settings.sms_retries
        self.transport = transport

    async def send(self, session: AsyncSession, phone: str, body: str, code: str | None) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as client:
            for attempt in range(self.retries + 1):
                try:
                    response = await client.post(
                        self.url, json={"to": phone, "text": body}, headers=headers
                    )
                    if response.status_code < 500:
                        response.raise_for_status()
                        return
                except httpx.HTTPStatusError as exc:
                    log.warning("sms.rejected", status=exc.response.status_code)
                    raise SmsUnavailable("the SMS gateway refused the message") from None
                except httpx.TransportError as exc:
                    log.warning("sms.transport_error", attempt=attempt, error=str(exc))
                if attempt < self.retries:
                    await asyncio.sleep(0.2 * 2**attempt)
        raise SmsUnavailable("the SMS gateway did not answer; try again shortly")


def make_sender(settings: Settings, keys: Keys) -> SmsSender:
    if settings.sms_backend == "http":
        return HttpSender(settings)
    return ConsoleSender(keys)

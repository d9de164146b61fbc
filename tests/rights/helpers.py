"""Shared steps of the rights tests."""

from __future__ import annotations

from typing import Any

import httpx

from app.core import clock
from app.core.context import ServiceContext
from tests.conftest import latest_code


async def fresh_code(client: httpx.AsyncClient, owner: ServiceContext, phone: str) -> str:
    """A new SMS code for `phone`, as the person would ask for one (RGT-18)."""
    sent = await client.post("/v1/auth/otp", json={"phone": phone})
    if sent.status_code == 429:
        clock.advance(61)
        sent = await client.post("/v1/auth/otp", json={"phone": phone})
    assert sent.status_code == 202, sent.text
    return await latest_code(owner, phone)


def routed(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {part["controller"]: part for part in body["routed_to"]}

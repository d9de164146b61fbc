"""What the lifecycle tests read back: the SMS a number was sent."""

from __future__ import annotations

from app.accounts import repository
from app.accounts.service import phone_hash
from app.core.context import ServiceContext
from app.core.phones import normalize


async def texts_to(owner: ServiceContext, phone: str, marker: str = "") -> list[str]:
    """Bodies of the messages sent to `phone` (login codes left out), containing `marker`."""
    async with owner.db.session() as session:
        sent = await repository.outbox_for(session, phone_hash(owner.keys, normalize(phone)))
    return [m.body for m in sent if m.code is None and marker in m.body]

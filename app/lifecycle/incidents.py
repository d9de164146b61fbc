"""Personal-data incidents: recorded by platform staff, told to exactly the people affected
and to their schools' admins (SEC-11/12), reported to regulators (SEC-13).

Recording checks every school and person and queues one job; the job tells each person by
SMS (the configured sender) and by an in-app notice, in their language, and records each
delivery. A rerun (a killed worker) skips what was delivered already.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Account
from app.accounts.service import phone_of
from app.accounts.sms import SmsSender, SmsUnavailable, make_sender
from app.authz.audit import record
from app.core import clock
from app.core.context import ServiceContext
from app.core.db import set_tenant
from app.core.errors import Invalid, NotFound
from app.core.ids import parse_id
from app.core.security import Keys
from app.core.vocabulary import Action, ActorKind, Purpose, RecordKind
from app.jobs.queue import enqueue
from app.jobs.registry import job
from app.lifecycle import repository, wording
from app.lifecycle.models import Audience, Channel, Incident, IncidentNotification
from app.lifecycle.schemas import IncidentIn
from app.privacy import messages
from app.privacy.messages import NoticeKind
from app.tenancy.repository import tenant_by_slug

TASK = "lifecycle.incident_notify"


async def _scope(session: AsyncSession, body: IncidentIn) -> list[dict[str, Any]]:
    """Each school with whom it names; a slug or a person not of that school is a 422."""
    scope: list[dict[str, Any]] = []
    for i, school in enumerate(body.schools):
        tenant = await tenant_by_slug(session, school.school)
        if tenant is None:
            raise Invalid(f"schools.{i}.school", f"no school {school.school!r}")
        people: list[str] = []
        if not school.everyone:
            await set_tenant(session, tenant.id)
            known = await repository.member_ids(session, tenant.id, school.people)
            stranger = next((p for p in school.people if p not in known), None)
            if stranger is not None:
                raise Invalid(f"schools.{i}.people", f"{stranger} is not in {tenant.slug}")
            people = sorted({str(p) for p in school.people})
        scope.append(
            {"school_id": str(tenant.id), "slug": tenant.slug, "everyone": school.everyone,
             "people": people}
        )  # fmt: skip
    await set_tenant(session, None)
    return scope


async def record_incident(
    session: AsyncSession, staff: Account, body: IncidentIn
) -> tuple[Incident, bool]:
    """The incident and its notification job; a retried POST returns the first (False)."""
    again = await repository.same_incident(session, staff.id, body.what, body.happened_at)
    if again is not None:
        return again, False
    incident = Incident(
        what=body.what,
        impact=body.impact,
        happened_at=body.happened_at,
        detected_at=body.detected_at,
        categories=[str(c) for c in body.categories],
        measures=body.measures,
        advice=body.advice,
        remedies=body.remedies,
        progress=body.progress,
        contact=body.contact,
        scope=await _scope(session, body),
        recorded_by=staff.id,
    )
    session.add(incident)
    await session.flush()
    await enqueue(session, TASK, {"incident_id": str(incident.id)}, lock=f"incident:{incident.id}")
    return incident, True


# --- telling (the job) -----------------------------------------------------------------


class _Teller:
    """Delivers one incident's messages, recording each; skips what went out before."""

    def __init__(self, session: AsyncSession, keys: Keys, sender: SmsSender, incident: Incident):
        self.session, self.keys, self.sender, self.incident = session, keys, sender, incident
        self.done: set[tuple[uuid.UUID, str, str]] = set()

    async def tell(self, account: Account, school_id: uuid.UUID, audience: Audience) -> None:
        language = messages.language_of(account.language)
        school = audience == Audience.SCHOOL
        if (account.id, audience, Channel.IN_APP) not in self.done:
            await messages.tell(
                self.session, account.id, NoticeKind.INCIDENT, self.incident.id,
                title=wording.incident_title(language, school=school),
                body=wording.incident_body(self.incident, language, school=school),
                language=language, school_id=school_id,
            )  # fmt: skip
            self._log(account, school_id, audience, Channel.IN_APP, language, None)
        if (account.id, audience, Channel.SMS) not in self.done:
            error = None
            try:
                phone = phone_of(self.keys, account)
                await self.sender.send(
                    self.session, phone, wording.incident_sms(self.incident, language), None
                )
            except SmsUnavailable as exc:  # recorded as failed; a later run tries again
                error = str(exc.detail or exc.title)[:500]
            self._log(account, school_id, audience, Channel.SMS, language, error)

    def _log(
        self, account: Account, school_id: uuid.UUID, audience: Audience, channel: Channel,
        language: str, error: str | None,
    ) -> None:  # fmt: skip
        self.session.add(
            IncidentNotification(
                incident_id=self.incident.id, account_id=account.id, school_id=school_id,
                audience=audience, channel=channel, language=language,
                status="failed" if error else "sent", error=error, at=clock.now(),
            )
        )  # fmt: skip
        if error is None:
            self.done.add((account.id, audience, channel))


async def _tell_school(teller: _Teller, school: dict[str, Any]) -> None:
    session, incident = teller.session, teller.incident
    school_id = uuid.UUID(school["school_id"])
    await set_tenant(session, school_id)
    if school["everyone"]:
        affected = await repository.member_ids(session, school_id)
    else:
        affected = {uuid.UUID(p) for p in school["people"]}
    people = await repository.active_accounts(session, affected)
    for person in people:
        await teller.tell(person, school_id, Audience.PERSON)
    guardians = await repository.guardians_of_children(session, school_id, affected)
    for guardian in await repository.active_accounts(session, guardians):
        await teller.tell(guardian, school_id, Audience.GUARDIAN)  # a child's guardian acts
    for admin in await repository.active_accounts(
        session, await repository.admin_ids(session, school_id)
    ):
        await teller.tell(admin, school_id, Audience.SCHOOL)
    await session.flush()
    # Reading the numbers to send the messages is a read of personal data: on the record.
    await set_tenant(session, school_id)
    await record(
        session, tenant_id=school_id, actor_id=incident.recorded_by,
        actor_kind=ActorKind.PLATFORM_STAFF, record_kind=RecordKind.MEMBER, action=Action.READ,
        purpose=Purpose.SECURITY, subjects=[p.id for p in people],
        detail={"incident": str(incident.id), "told": len(people)},
    )  # fmt: skip


async def notify(ctx: ServiceContext, incident_id: uuid.UUID) -> int:
    """Tell every affected person and school of the incident; returns the schools done."""
    sender = make_sender(ctx.settings, ctx.keys)
    async with ctx.db.session() as session:
        incident = await session.get(Incident, incident_id)
        if incident is None:
            return 0
        scope = list(incident.scope)
    for school in scope:  # one transaction per school: a failure keeps the schools done
        async with ctx.db.session() as session:
            incident = await session.get(Incident, incident_id)
            assert incident is not None
            teller = _Teller(session, ctx.keys, sender, incident)
            teller.done = await repository.sent_to(session, incident_id)
            await _tell_school(teller, school)
    return len(scope)


@job(TASK)
async def incident_notify(ctx: ServiceContext, args: dict[str, Any]) -> None:
    await notify(ctx, uuid.UUID(str(args["incident_id"])))


# --- the regulator's report (SEC-13) ---------------------------------------------------


async def report(session: AsyncSession, incident_id: str) -> dict[str, Any]:
    wanted = parse_id(incident_id)
    incident = await session.get(Incident, wanted) if wanted else None
    if incident is None:
        raise NotFound("no such incident")
    counts = await repository.notification_counts(session, incident.id)
    first, last = await repository.notification_span(session, incident.id)
    schools = []
    for school in incident.scope:
        sid = uuid.UUID(school["school_id"])

        def told(audience: str, channel: str, status: str = "sent", sid: uuid.UUID = sid) -> int:
            return sum(
                k for s, a, c, st, k in counts if (s, a, c, st) == (sid, audience, channel, status)
            )

        schools.append({
            "school": school["slug"],
            "everyone": school["everyone"],
            "people_named": len(school["people"]),
            "people_told_in_app": told(Audience.PERSON, Channel.IN_APP),
            "people_told_by_sms": told(Audience.PERSON, Channel.SMS),
            "sms_failed": told(Audience.PERSON, Channel.SMS, "failed"),
            "guardians_told": told(Audience.GUARDIAN, Channel.SMS),
            "admins_told": told(Audience.SCHOOL, Channel.SMS),
        })  # fmt: skip
    return {
        "requirement": "SEC-13",
        "id": str(incident.id),
        "what": incident.what,
        "impact": incident.impact,
        "happened_at": incident.happened_at.isoformat(),
        "detected_at": incident.detected_at.isoformat(),
        "recorded_at": incident.created_at.isoformat(),
        "categories": incident.categories,
        "measures": incident.measures,
        "advice": incident.advice,
        "remedies": incident.remedies,
        "progress": incident.progress,
        "contact": incident.contact,
        "schools": schools,
        "first_notified_at": first.isoformat() if first else None,  # type: ignore[attr-defined]
        "last_notified_at": last.isoformat() if last else None,  # type: ignore[attr-defined]
        "notifications": {
            "sent": sum(k for *_, st, k in counts if st == "sent"),
            "failed": sum(k for *_, st, k in counts if st == "failed"),
        },
    }

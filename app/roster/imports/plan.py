"""The import's plan in the making: what the file says, what it resolved to, what it would write.

`Planning` is handed from phase to phase (courses, people, then their links); each phase
reads the file through it, records row errors on it and adds to its `Writes`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from app.core import clock
from app.core.security import Keys
from app.roster.imports.repository import MembershipState, Writes
from app.roster.imports.rosterfile import PersonRow, RosterFile, RowError
from app.roster.schemas import ImportPlan
from app.tenancy.models import MembershipStatus, Tenant

IMPORT_REASON = "not in the school's roster file"
DELETED_REASON = "tobedeleted in the school's roster file"
ROLE_REASON = "another role in the school's roster file"
RETIRED_REASONS = (IMPORT_REASON, DELETED_REASON, ROLE_REASON)
LIVE = (MembershipStatus.pending, MembershipStatus.active)


@dataclass
class ImportResult:
    plan: ImportPlan
    errors: list[RowError]


class Planning:
    def __init__(
        self,
        keys: Keys,
        tenant: Tenant,
        actor_id: uuid.UUID | None,
        roster: RosterFile,
        *,
        default_age_band: str | None,
        region: str,
    ) -> None:
        self.keys, self.tenant, self.actor_id = keys, tenant, actor_id
        self.roster = roster
        self.default_age_band = default_age_band
        self.region = region
        self.errors: list[RowError] = list(roster.errors)
        self.dependents: list[RowError] = list(roster.dependents)
        self.plan = ImportPlan(
            format=roster.kind,
            dry_run=True,
            not_this_school=dict(roster.not_this_school),
            notices=list(roster.notices),
        )
        self.writes = Writes()
        self.now = clock.now()
        self.oneroster = roster.kind == "oneroster"
        self.users_file = "users.csv" if self.oneroster else "roster.csv"
        # Resolved along the way: file ids -> database ids.
        self.account_of: dict[str, uuid.UUID] = {}  # person source id -> account id
        self.course_of_source: dict[str, uuid.UUID] = {}
        self.rejected: set[str] = set()  # people whose rows are in error
        self.rejected_courses: set[str] = set()  # classes whose rows are in error
        self.attestation_of: dict[str, dict[str, Any]] = {}
        self.same_org = False
        self.without_phone: set[uuid.UUID] = set()  # learners under a guardian's number
        self.guardianships: set[tuple[uuid.UUID, uuid.UUID]] = set()  # (guardian, student)

    def error(self, file: str, line: int, column: str | None, message: str) -> None:
        self.errors.append(RowError(file, line, column, message))

    def dependent(self, file: str, line: int, column: str | None, message: str) -> None:
        """A row left out with a row it depends on, whose own error says why."""
        self.dependents.append(RowError(file, line, column, message))

    def in_file(self, file: str, source_id: str) -> bool:
        """The file names this sourcedId, in a row kept or in error (never retired)."""
        return source_id in self.roster.present.get(file, ())

    def bulk(self, file: str) -> bool:
        return self.roster.mode.get(file) == "bulk"

    def retires_missing(self, file: str) -> bool:
        """A bulk OneRoster file of the school imported before retires what it leaves out."""
        return self.oneroster and self.bulk(file) and self.same_org

    def age_band_of(self, person: PersonRow) -> str | None:
        if person.role != "student":
            return "adult" if person.role is not None else None
        return person.age_band or self.default_age_band or "under14"

    def membership_update(self, m: MembershipState, **changes: Any) -> None:
        self.writes.subjects.add(m.account_id)
        self.writes.membership_updates.append(
            {"tenant_id": self.tenant.id, "id": m.id, "updated_at": self.now, **changes}
        )

    def retire(self, kind: str, name: str | None, reason: str) -> None:
        """Count a retirement and name it in the plan (people, courses or enrollments)."""
        getattr(self.plan, kind).deactivated += 1
        self.plan.retiring.setdefault(kind, []).append(f"{name or '(no sourcedId)'}: {reason}")

    def sorted_errors(self) -> list[RowError]:
        return sorted(self.errors, key=_row_order)

    def sorted_dependents(self) -> list[RowError]:
        return sorted(self.dependents, key=_row_order)


def _row_order(e: RowError) -> tuple[str, int, str]:
    return (e.file, e.line, e.column or "")

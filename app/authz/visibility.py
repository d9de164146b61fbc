"""Which rows a caller may see: the decision's scopes turned into one SQL predicate (DESIGN §2).

`within_scopes` is the one loop over scopes and the only maker of `Visible`; each scope's
rule sits beside the tables it reads. Here: the people rules (self, subject, children:
guardianship is a tenancy table) and the audit log's. The course rules (enrolments) are in
`app/roster/scopes.py`, which adds them to these.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, false, or_, select, true
from sqlmodel import col

from app.authz.access import Access
from app.authz.models import AuditEntry, AuditSubject
from app.core.repository import Visible
from app.core.vocabulary import Scope
from app.tenancy.models import Guardianship


class Target(NamedTuple):
    """The columns a kind of record is seen by: whose it is, its course, its lesson's
    teacher, and the predicate of an explicit grant (for kinds that have grants)."""

    person: Any = None  # columns: `col(Model.field)` types as Mapped, not ColumnElement
    course: Any = None
    teacher: Any = None
    granted: ColumnElement[bool] | None = None


# A scope's rule: the predicate it admits on `Target`'s columns, or None when it reaches
# no record of that shape (e.g. `self` on a course).
Rule = Callable[[Access, Target], ColumnElement[bool] | None]


def within_scopes(access: Access, rules: Mapping[str, Rule], target: Target) -> Visible:
    """The rows any of the caller's scopes admits; nothing when none does."""
    if access.whole_school:
        return Visible(true())
    parts: list[ColumnElement[bool]] = []
    for scope in access.scopes:
        rule = rules.get(scope)
        built = rule(access, target) if rule is not None else None
        if built is not None:
            parts.append(built)
    return Visible(or_(*parts) if parts else false())


def first_of(*rules: Rule) -> Rule:
    """The first of `rules` that applies to the target's shape."""

    def rule(access: Access, target: Target) -> ColumnElement[bool] | None:
        for each in rules:
            built = each(access, target)
            if built is not None:
                return built
        return None

    return rule


# The subqueries depend only on (school, person): built once per pair and shared by every
# predicate of a request (statements are immutable), which keeps building a scoped query
# cheap on the hot path of every list.
built_once = functools.lru_cache(maxsize=4096)


def children_ids(access: Access) -> Select[Any]:
    return children_ids_of(access.tenant_id, access.account_id)


@built_once
def children_ids_of(tenant_id: uuid.UUID, account_id: uuid.UUID) -> Select[Any]:
    return select(col(Guardianship.student_id)).where(
        col(Guardianship.tenant_id) == tenant_id,
        col(Guardianship.guardian_id) == account_id,
    )


def myself(access: Access, target: Target) -> ColumnElement[bool] | None:
    """`self` / `subject`: records about the caller."""
    if target.person is None:
        return None
    mine: ColumnElement[bool] = target.person == access.account_id
    return mine


def my_children(access: Access, target: Target) -> ColumnElement[bool] | None:
    """`children`: records about a child the caller is the guardian of."""
    if target.person is None:
        return None
    theirs: ColumnElement[bool] = target.person.in_(children_ids(access))
    return theirs


# Keyed by Scope (a str: the caller's scopes look their rule up directly).
_PEOPLE: dict[str, Rule] = {Scope.SELF: myself, Scope.SUBJECT: myself, Scope.CHILDREN: my_children}
PEOPLE_RULES: Mapping[str, Rule] = MappingProxyType(_PEOPLE)


def audit_subjects_visible(access: Access) -> Visible:
    """The subjects of audit entries the caller may see (on `AuditSubject.account_id`)."""
    return within_scopes(access, PEOPLE_RULES, Target(person=col(AuditSubject.account_id)))


def audit_entries_visible(access: Access) -> Visible:
    """Audit entries: the whole school's, or those about someone the caller may see."""
    if access.whole_school:
        return Visible(true())
    about = select(col(AuditSubject.entry_id)).where(
        col(AuditSubject.tenant_id) == access.tenant_id, audit_subjects_visible(access)
    )
    return Visible(col(AuditEntry.id).in_(about))

"""Reading the roster as OneRoster collections: scopes, nesting, paging, fields, audit.

Rules only (no HTTP): the router hands in the parsed query string, gets a body and the
total back. Every read names the caller's school; every read of personal data is audited
with the purpose the client was registered for.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Subquery, Uuid, false
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.audit import record
from app.core.ids import parse_id
from app.core.vocabulary import Action, ActorKind, Role
from app.oneroster import repository
from app.oneroster.collections import COLLECTIONS, TEACHING, Collection
from app.oneroster.errors import StatusInfoError
from app.oneroster.filters import compile_filter
from app.oneroster.repository import PageQuery
from app.oneroster.scopes import opens
from app.oneroster.service import RosterCaller
from app.oneroster.shapes import Shaper

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
# parent collection → the children that may be read under one of its records
NESTED = {
    "schools": {"classes", "courses", "enrollments", "students", "teachers", "terms", "users"},
    "classes": {"students", "teachers", "enrollments"},
    "users": {"classes"},
    "students": {"classes"},
    "teachers": {"classes"},
    "courses": {"classes"},
    "terms": {"classes"},
}


@dataclass(frozen=True)
class ListParams:
    limit: str | None = None
    offset: str | None = None
    sort: str | None = None
    order_by: str | None = None
    filter: str | None = None
    fields: str | None = None


def collection_for(caller: RosterCaller, plural: str) -> Collection:
    collection = COLLECTIONS.get(plural)
    if collection is None:
        raise StatusInfoError(404, "unknown_object", f"no collection {plural!r}")
    if not opens(caller.scopes, collection.scope_name):
        raise StatusInfoError(403, "forbidden", f"the token's scopes do not open {plural}")
    return collection


def id_is(sub: Subquery, text: str) -> ColumnElement[bool]:
    column = sub.c.sourcedId
    if isinstance(column.type, Uuid):
        parsed = parse_id(text)
        return false() if parsed is None else column == parsed
    return column == text


def kind_filter(collection: Collection, sub: Subquery) -> list[ColumnElement[bool]]:
    if collection.plural == "students":
        return [sub.c._student == 1]
    if collection.plural == "teachers":
        return [sub.c._teacher == 1]
    return []


async def _parent_where(
    session: AsyncSession, caller: RosterCaller, child: Collection, sub: Subquery,
    parent: str, parent_id: str,
) -> list[ColumnElement[bool]]:  # fmt: skip
    """The child rows under one parent record; 404 when the parent is not the school's."""
    if child.plural not in NESTED.get(parent, set()):
        raise StatusInfoError(404, "unknown_object", f"no path {parent}/{{id}}/{child.plural}")
    owner = COLLECTIONS[parent]
    owner_sub = owner.subquery(caller.tenant_id)
    found = await repository.one_of_collection(
        session, caller.tenant_id, owner_sub, id_is(owner_sub, parent_id),
        *kind_filter(owner, owner_sub),
    )  # fmt: skip
    if found is None:
        raise StatusInfoError(404, "unknown_object", f"no {owner.singular} {parent_id!r}")
    key, tenant_id = found["sourcedId"], caller.tenant_id
    if parent == "schools":
        return []
    if parent == "classes" and child.plural == "enrollments":
        return [sub.c._class == key]
    if parent == "classes":
        roles = (Role.STUDENT.value,) if child.plural == "students" else TEACHING
        return [sub.c.sourcedId.in_(repository.people_enrolled(tenant_id, key, roles))]
    if parent == "terms":
        return [sub.c._term == key]
    if parent == "courses":
        return [sub.c.sourcedId == key]
    return [sub.c.sourcedId.in_(repository.courses_of_person(tenant_id, key))]


def page_query(
    collection: Collection, sub: Subquery, params: ListParams, where: list[ColumnElement[bool]]
) -> PageQuery:
    limit = _number(params.limit, "limit", DEFAULT_LIMIT, low=1)
    offset = _number(params.offset, "offset", 0, low=0)
    visible = {c.key: c for c in sub.c if not c.key.startswith("_")}
    if params.sort is not None and params.sort not in visible:
        raise StatusInfoError(400, "invalid_sort_field", f"cannot sort on {params.sort!r}")
    if params.order_by not in (None, "asc", "desc"):
        raise StatusInfoError(400, "invalid_sort_field", "orderBy is asc or desc")
    if params.filter:
        where = [*where, compile_filter(params.filter, visible)]
    return PageQuery(
        min(limit, MAX_LIMIT), offset, params.sort, params.order_by == "desc", tuple(where)
    )


def _number(text: str | None, name: str, default: int, *, low: int) -> int:
    if text is None:
        return default
    if not text.isdigit() or int(text) < low:
        raise StatusInfoError(400, "invalid_data", f"{name} must be a whole number ≥ {low}")
    return int(text)


def selected_fields(collection: Collection, fields: str | None) -> list[str] | None:
    if not fields:
        return None
    chosen = [f.strip() for f in fields.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in collection.fields]
    if unknown:
        raise StatusInfoError(400, "invalid_selection_field", f"unknown field {unknown[0]!r}")
    return chosen


async def _shaped(
    session: AsyncSession, caller: RosterCaller, collection: Collection,
    rows: Sequence[Any], base: str, fields: list[str] | None,
    roles: Mapping[uuid.UUID, list[str]] | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    if roles is None:  # the page did not bring its people's roles along
        people = [r["sourcedId"] for r in rows] if collection.singular == "user" else []
        roles = await repository.roles_of_people(session, caller.tenant_id, people)
    shape = Shaper(base, caller.tenant_id, roles).shape_of(collection.plural)
    objects = [shape(row) for row in rows]
    if fields is not None:
        objects = [{k: v for k, v in o.items() if k in fields} for o in objects]
    await _audit(session, caller, collection, rows)
    return objects


async def _audit(
    session: AsyncSession, caller: RosterCaller, collection: Collection, rows: Sequence[Any]
) -> None:
    if collection.record_kind is None:
        return
    if collection.singular == "user" or collection.plural == "demographics":
        subjects = [r["sourcedId"] for r in rows]
    elif collection.plural == "enrollments":
        subjects = [r["_user"] for r in rows]
    else:
        subjects = []
    await record(
        session,
        tenant_id=caller.tenant_id,
        actor_id=None,
        actor_kind=ActorKind.API_KEY,
        record_kind=collection.record_kind,
        action=Action.LIST if len(rows) != 1 else Action.READ,
        purpose=caller.client.purpose,
        subjects=subjects,
        request_id=caller.request_id,
        detail={**caller.client.detail(), "oneroster": collection.plural},
    )


async def read_page(
    session: AsyncSession, caller: RosterCaller, plural: str, params: ListParams, base: str,
    parent: tuple[str, str] | None = None,
) -> tuple[dict[str, Any], int, PageQuery]:  # fmt: skip
    """`{plural: [...]}`, the total matching, and the page asked (for the Link header)."""
    collection = collection_for(caller, plural)
    fields = selected_fields(collection, params.fields)
    sub = collection.subquery(caller.tenant_id)
    where = kind_filter(collection, sub)
    if parent is not None:
        where += await _parent_where(session, caller, collection, sub, *parent)
    page = page_query(collection, sub, params, where)
    roles = None
    rows: Sequence[Any]
    if (
        collection.query is COLLECTIONS["users"].query
        and not page.where
        and (page.sort in (None, "sourcedId"))
    ):  # the common read, every user in order: page the people by id first
        rows, total, roles = await repository.users_page(session, caller.tenant_id, page)
    else:
        rows, total = await repository.collection_page(session, caller.tenant_id, sub, page)
    objects = await _shaped(session, caller, collection, rows, base, fields, roles)
    return {collection.key: objects}, total, page


async def read_one(
    session: AsyncSession, caller: RosterCaller, plural: str, sourced_id: str, base: str,
    fields: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    collection = collection_for(caller, plural)
    chosen = selected_fields(collection, fields)
    sub = collection.subquery(caller.tenant_id)
    row = await repository.one_of_collection(
        session, caller.tenant_id, sub, id_is(sub, sourced_id), *kind_filter(collection, sub)
    )
    if row is None:
        raise StatusInfoError(404, "unknown_object", f"no {collection.singular} {sourced_id!r}")
    objects = await _shaped(session, caller, collection, [row], base, chosen)
    return {collection.singular: objects[0]}

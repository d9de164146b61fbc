"""Citus-ready queries (#18): every SELECT the app runs through a representative set of
flows is caught by a statement hook and parsed (sqlglot); none joins two tenant tables
without equating their tenant_id, so under Citus each join stays on one shard group."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlglot
from sqlalchemy import event as sa_event
from sqlglot import exp

from app.schema import tenant_tables
from tests.classroom.conftest import (
    GUARDIAN,
    NORTH_ADMIN,
    STUDENT,
    TEACHER,
    World,
    event,
    send,
)

TENANT = set(tenant_tables())
CONSTANT = "<bound value>"


def _direct_tables(select: exp.Select) -> dict[str, str]:
    """alias -> table name of the tenant tables this SELECT reads directly (FROM and JOINs)."""
    sources = []
    source = select.args.get("from_") or select.args.get("from")  # the key's name by version
    if source is not None:
        sources.append(source.this)
    sources += [join.this for join in select.args.get("joins") or []]
    return {
        t.alias_or_name: t.name for t in sources if isinstance(t, exp.Table) and t.name in TENANT
    }


def _own_conditions(select: exp.Select) -> list[exp.EQ]:
    """Equalities in this SELECT's ON and WHERE clauses, not in its subqueries."""
    roots = [j.args.get("on") for j in select.args.get("joins") or []]
    roots.append(select.args.get("where"))
    found = []
    for root in filter(None, roots):
        for eq in root.find_all(exp.EQ):
            if eq.find_ancestor(exp.Select) is select:
                found.append(eq)
    return found


def _side(node: exp.Expression) -> str | None:
    while isinstance(node, exp.Cast):
        node = node.this
    if isinstance(node, exp.Column):
        return f"{node.table}.{node.name}" if node.table else node.name
    if isinstance(node, exp.Placeholder | exp.Parameter | exp.Literal):
        return CONSTANT
    return None


def unequated_tenant_joins(select: exp.Select) -> list[str]:
    """Tenant tables of one SELECT whose tenant_id is not tied to the others' (empty: fine)."""
    tables = _direct_tables(select)
    if len(tables) < 2:
        return []
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.get(key, key) != key:
            key = parent[key]
        return key

    for eq in _own_conditions(select):
        left, right = _side(eq.left), _side(eq.right)
        if left and right:
            parent[root(left)] = root(right)
    groups = {root(f"{alias}.tenant_id") for alias in tables}
    return [] if len(groups) == 1 else sorted(f"{a} ({t})" for a, t in tables.items())


def test_the_checker_catches_a_join_without_the_tenant():
    """The same check on hand-written statements: it can fail."""
    bad = (
        "SELECT l.id FROM lesson AS l JOIN course AS c ON c.id = l.course_id WHERE l.tenant_id = ?"
    )
    good = (
        "SELECT l.id FROM lesson AS l JOIN course AS c "
        "ON c.tenant_id = l.tenant_id AND c.id = l.course_id WHERE l.tenant_id = ?"
    )
    both_bound = (
        "SELECT l.id FROM lesson AS l, course AS c WHERE l.tenant_id = $1 AND c.tenant_id = $2"
    )
    assert unequated_tenant_joins(sqlglot.parse_one(bad)) == ["c (course)", "l (lesson)"]
    assert unequated_tenant_joins(sqlglot.parse_one(good)) == []
    assert unequated_tenant_joins(sqlglot.parse_one(both_bound, read="postgres")) == []


@pytest.fixture
def statements(app) -> Iterator[list[str]]:
    """Every statement the app's engine sends, from before the world is built."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    engine = app.state.ctx.db.engine.sync_engine
    sa_event.listen(engine, "before_cursor_execute", note)
    yield seen
    sa_event.remove(engine, "before_cursor_execute", note)


async def _flows(client, login, world: World) -> None:
    """Ingest, then the reads of every role: roster, records, analytics, reports, audit."""
    joins = [event(world, "attendance.joined", 1, who=p) for p in (STUDENT, TEACHER)]
    assert (await send(client, world.key, joins)).status_code == 202
    north = "/v1/tenants/demo-north"
    lesson, course = world.lesson, world.course
    admin, teacher = await login(NORTH_ADMIN), await login(TEACHER)
    student, guardian = await login(STUDENT), await login(GUARDIAN)
    reads = [
        (admin, [
            "/members", "/members?role=student", "/enrollments",
            "/courses", f"/courses/{course}", f"/courses/{course}/lessons", f"/lessons/{lesson}",
            f"/courses/{course}/enrollments", "/audit", "/support-grants", "/api-keys",
            "/notices", "/requests", "/roster/issues",
            f"/lessons/{lesson}/events", f"/lessons/{lesson}/attendance",
            f"/lessons/{lesson}/rollups", f"/analytics/lessons/{lesson}",
            f"/analytics/courses/{course}", f"/analytics/lessons/{lesson}/timeline",
            "/reports/courses", "/reports/teaching-quality",
        ]),
        (teacher, [
            f"/analytics/lessons/{lesson}", f"/lessons/{lesson}/rollups", "/members",
            f"/lessons/{lesson}/attendance",
        ]),
    ]  # fmt: skip
    mine = ["/v1/me", "/v1/me/audit", "/v1/me/consents"]
    mine += ["/v1/me/notices", "/v1/me/requests", "/v1/me/sessions"]
    paths = [(h, north + p) for h, ps in reads for p in ps]
    paths += [(h, p) for h in (student, guardian) for p in mine]
    members = await client.get(north + "/members?role=student", headers=admin)
    paths += [(admin, f"{north}/members/{m['id']}") for m in members.json()["items"][:2]]
    for headers, path in paths:
        answer = await client.get(path, headers=headers)
        assert answer.status_code == 200, (path, answer.text)


async def test_no_select_joins_two_tenant_tables_without_their_tenant_id(
    statements, client, login, world, database
):
    await _flows(client, login, world)
    dialect = "postgres" if database.is_postgres else "sqlite"
    selects = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert len(selects) > 100, "the flows ran the app's queries"
    checked, joined, broken = 0, 0, []
    for sql in selects:
        for statement in sqlglot.parse(sql, read=dialect):
            if statement is None:
                continue
            checked += 1
            for select in statement.find_all(exp.Select):
                joined += len(_direct_tables(select)) >= 2
                missing = unequated_tenant_joins(select)
                if missing:
                    broken.append(f"{missing}: {sql}")
    assert checked == len(selects)
    assert joined >= 3, "the flows include joins between tenant tables"
    assert broken == [], "\n\n".join(broken[:5])

"""Render `policies/README.md` from the policy files, so the readable table cannot drift.

Regenerate with `python -m app.authz.policy_doc > policies/README.md`.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.core.policy import Policy, Rule, get_policy
from app.core.vocabulary import Action, RecordKind, Role, Scope

REGENERATE = "python -m app.authz.policy_doc > policies/README.md"

SCOPE_MEANINGS: dict[Scope, str] = {
    Scope.TENANT: "the whole school",
    Scope.TAUGHT_COURSES: "courses the caller teaches or assists",
    Scope.ENROLLED_COURSES: "courses the caller is enrolled in",
    Scope.SELF: "records whose subject is the caller",
    Scope.CHILDREN: "records whose subject is a child the caller is the guardian of",
    Scope.CLASS_VISIBLE: (
        "what everyone in the same lesson saw live, only where the school turned the "
        "`class_visible` option on"
    ),
    Scope.GRANTED: (
        "records an explicit, unexpired grant opens to the caller; for a guardian, a grant "
        "to one of their children counts as granted to the guardian"
    ),
    Scope.SUBJECT: "audit entries about the caller: who read their data, when and why",
}

ACTION_MEANINGS: dict[Action, str] = {
    Action.LIST: "see several records at once (a list endpoint, filtered in SQL)",
    Action.READ: "open one record",
    Action.CREATE: "add a record",
    Action.UPDATE: "change a record",
    Action.DELETE: "remove a record (for keys and grants: revoke)",
    Action.EXPORT: "take records out as a file (CSV, archive)",
    Action.GRANT: "give named people access to a record (recordings)",
    Action.DECIDE: "answer a rights request routed to the school",
    Action.REPORT: "the subject flags a record as wrong, e.g. an enrolment made on their behalf",
}

READING_NOTES = (
    'DESIGN.md\'s "all" is list, read, create, update, delete and export, plus grant for '
    "recordings and decide for rights requests. API keys have no export: only their hashes "
    "are stored.",
    'A "read" in DESIGN.md also allows "list" (every scope can match several records), '
    'except in the member row, which spells "list, read" out and is taken literally.',
    "Anything not in the table is denied. Platform staff hold no role in any school; they act "
    "only through a support grant the school issued.",
    "The table's purposes in parentheses (snapshots: teaching_management, diagnostics: "
    "technical_support, teacher actions: teaching_quality) are enforced by purposes.toml: "
    "a read must also name a purpose that covers the record kind.",
)


def render_policy_readme(policy: Policy) -> str:
    """The whole of policies/README.md for `policy`."""
    parts = [
        "# Rostra access policy\n",
        "> **Generated file, do not edit.** It is rendered from `model.conf`, `roles.csv`, "
        "`options.toml` and `purposes.toml` by `app/authz/policy_doc.py`. After changing "
        f"any of them, regenerate it with:\n>\n> `{REGENERATE}`\n",
        _decision_section(),
        _table(["scope", "records it reaches"], ([f"`{s}`", m] for s, m in SCOPE_MEANINGS.items())),
        _table(["action", "meaning"], ([f"`{a}`", m] for a, m in ACTION_MEANINGS.items())),
        _permissions_section(policy),
        _options_section(policy),
        _purposes_section(policy),
    ]
    return "\n".join(parts)


def _decision_section() -> str:
    return (
        "## How a request is decided\n\n"
        "1. The caller's roles in the school come from the database (memberships, enrolments, "
        "guardianships); Casbin holds no people.\n"
        "2. Casbin (`model.conf`: `role, record_kind, action, scope`, deny overrides allow) "
        "answers which scopes those roles may use, from `roles.csv` plus the lines of the "
        "school's options.\n"
        "3. The read names a purpose, and `purposes.toml` must list the record kind under it.\n"
        "4. Each allowed scope becomes a SQL predicate, so lists are filtered in the database. "
        "No scope means no access.\n\n"
        "Scopes and actions:\n"
    )


def _permissions_section(policy: Policy) -> str:
    defaults = policy.default_options()
    on = ", ".join(f"`{name}`" for name in sorted(defaults)) or "none"
    rows = (
        [f"`{kind}`", *(_cell(policy, role, kind, defaults) for role in Role)]
        for kind in RecordKind
    )
    notes = "".join(f"- {note}\n" for note in READING_NOTES)
    return (
        "## Permissions by record kind\n\n"
        f'Each cell is "scope: actions", with every option at its default (on: {on}).\n\n'
        + _table(["record kind", *(f"`{role}`" for role in Role)], rows)
        + "\nReading the table:\n\n"
        + notes
    )


def _cell(policy: Policy, role: Role, kind: RecordKind, options: frozenset[str]) -> str:
    actions_by_scope: dict[Scope, list[Action]] = {}
    for action in Action:
        for scope in policy.allowed_scopes(frozenset({role}), kind, action, options):
            actions_by_scope.setdefault(scope, []).append(action)
    scopes_by_actions: dict[tuple[Action, ...], list[Scope]] = {}
    for scope in Scope:
        if scope in actions_by_scope:
            scopes_by_actions.setdefault(tuple(actions_by_scope[scope]), []).append(scope)
    cells = [
        f"{', '.join(scopes)}: {', '.join(actions)}"
        for actions, scopes in scopes_by_actions.items()
    ]
    return "; ".join(cells) or "—"


def _options_section(policy: Policy) -> str:
    lines = [
        "## School options\n",
        "A school turns options on in `tenants/<slug>.toml`. Each adds lines to `roles.csv` "
        "while on or while off; a deny line switches an allow line off.\n",
    ]
    for option in policy.options.values():
        lines.append(f"### `{option.name}` (default: {'on' if option.default else 'off'})\n")
        lines.append(f"{option.description}\n")
        lines.append(_rules("While on, adds", option.when_on))
        lines.append(_rules("While off, adds", option.when_off))
    return "\n".join(line for line in lines if line)


def _rules(title: str, rules: Iterable[Rule]) -> str:
    items = "".join(f"- `{rule}`\n" for rule in rules)
    return f"{title}:\n\n{items}" if items else ""


def _purposes_section(policy: Policy) -> str:
    rows = (
        [f"`{entry.purpose}`", ", ".join(entry.kinds), entry.notice, ", ".join(entry.sources)]
        for entry in policy.purposes.values()
    )
    widened = "".join(
        f"- `{entry.purpose}`: {entry.widened}\n"
        for entry in policy.purposes.values()
        if entry.widened
    )
    by_kind = ([f"`{kind}`", ", ".join(policy.purposes_for(kind)) or "—"] for kind in RecordKind)
    return (
        "## Purposes\n\n"
        "A read of personal data names one purpose of the notice; it is refused unless the "
        "purpose covers the record kind (PUR-1).\n\n"
        + _table(["purpose", "record kinds", "the notice says", "sources"], rows)
        + "\nWhere the mapping goes beyond the notice's literal list:\n\n"
        + widened
        + "\nThe same register by record kind:\n\n"
        + _table(["record kind", "purposes"], by_kind)
    )


def _table(header: list[str], rows: Iterable[list[str]]) -> str:
    lines = [header, ["---"] * len(header), *rows]
    return "".join(
        "| " + " | ".join(c.replace("|", "\\|") for c in line) + " |\n" for line in lines
    )


if __name__ == "__main__":
    print(render_policy_readme(get_policy()), end="")

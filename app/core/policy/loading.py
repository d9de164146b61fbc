"""Reading and checking the files of `policies/`: a malformed line fails with its place."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, cast

import casbin

from app.core.policy.rules import (
    Effect,
    PolicyError,
    PolicyState,
    PurposeEntry,
    Rule,
    SchoolOption,
)
from app.core.vocabulary import Action, Purpose, RecordKind, Role, Scope

KINDS: Final = frozenset(RecordKind)
ACTIONS: Final = frozenset(Action)
ROLES: Final = frozenset(Role)
_SCOPES: Final = frozenset(Scope)
_PURPOSES: Final = frozenset(Purpose)
_EFFECTS: Final = ("allow", "deny")
_REQUEST: Final = ["r_role", "r_record_kind", "r_action", "r_scope"]
_POLICY: Final = ["p_role", "p_record_kind", "p_action", "p_scope", "p_eft"]
_DENY_OVERRIDE: Final = "some(where (p_eft == allow)) && !some(where (p_eft == deny))"
_OPTION_KEYS: Final = frozenset({"description", "default", "when_on", "when_off"})
_PURPOSE_KEYS: Final = frozenset({"notice", "sources", "kinds", "widened"})


class _File:
    """A policy file's text, to report an error with the line it is on."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError(path, None, "cannot read the policy file", str(exc)) from exc
        self.lines = self.text.splitlines()

    def line_of(self, needle: str, start: int = 1) -> int | None:
        for number in range(max(start, 1), len(self.lines) + 1):
            if needle in self.lines[number - 1]:
                return number
        return None

    def key_line(self, key: str, start: int) -> int | None:
        """The line of `key = ...` at or after line `start`."""
        for number in range(start, len(self.lines) + 1):
            name, equals, _ = self.lines[number - 1].partition("=")
            if equals and name.strip() == key:
                return number
        return None

    def error(self, line: int | None, message: str, value: object) -> PolicyError:
        return PolicyError(self.path, line, message, value)

    def toml(self) -> dict[str, object]:
        try:
            return tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            raise self.error(None, "not valid TOML", str(exc)) from exc


def load(directory: Path) -> PolicyState:
    model_file = _File(directory / "model.conf")
    roles_file = _File(directory / "roles.csv")
    rules = _read_rules(roles_file)
    _check_model(model_file)
    enforcer = casbin.Enforcer(str(model_file.path), str(roles_file.path))
    if enforcer.get_policy() != [rule.as_casbin() for rule in rules]:
        raise roles_file.error(None, "Casbin reads the file differently", "roles.csv")
    options = _read_options(_File(directory / "options.toml"), frozenset(rules))
    purposes = _read_purposes(_File(directory / "purposes.toml"))
    # Under exact matching only a scope some allow line names can ever be allowed.
    allows = [*rules, *(r for o in options.values() for r in o.when_on + o.when_off)]
    candidates: dict[tuple[str, str, str], dict[Scope, None]] = {}
    for rule in allows:
        if rule.effect == "allow":
            candidates.setdefault((rule.role, rule.kind, rule.action), {})[rule.scope] = None
    return PolicyState(
        model_text=model_file.text,
        enforcer=enforcer,
        rules=rules,
        options=MappingProxyType(options),
        purposes=MappingProxyType(purposes),
        covered=frozenset((p, k) for p, entry in purposes.items() for k in entry.kinds),
        candidates=MappingProxyType({key: tuple(s) for key, s in candidates.items()}),
    )


def _check_model(file: _File) -> None:
    try:
        model = casbin.Enforcer.new_model(text=file.text).model
        request, policy = model["r"]["r"].tokens, model["p"]["p"].tokens
        effect = model["e"]["e"].value
    except (KeyError, RuntimeError, ValueError) as exc:
        raise file.error(None, "not a Casbin model with r, p, e and m sections", str(exc)) from exc
    if request != _REQUEST:
        raise file.error(
            file.line_of("r ="), "request must be role, record_kind, action, scope", request
        )
    if policy != _POLICY:
        raise file.error(file.line_of("p ="), "policy must be the request plus eft", policy)
    if effect != _DENY_OVERRIDE:
        raise file.error(file.line_of("e ="), "effect must be deny-override", effect)
    if "g" in model:
        raise file.error(
            file.line_of("[role_definition]"), "roles of people live in the database", "g"
        )


def _parse_rule(file: _File, line: int | None, text: str) -> Rule:
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != 5:
        raise file.error(line, "expected role, record_kind, action, scope, effect", text)
    role, kind, action, scope, effect = parts
    for value, known, what in (
        (role, ROLES, "unknown role"),
        (kind, KINDS, "unknown record kind"),
        (action, ACTIONS, "unknown action"),
        (scope, _SCOPES, "unknown scope"),
        (effect, _EFFECTS, "effect must be allow or deny"),
    ):
        if value not in known:
            raise file.error(line, what, value)
    return Rule(Role(role), RecordKind(kind), Action(action), Scope(scope), cast(Effect, effect))


def _read_rules(file: _File) -> tuple[Rule, ...]:
    rules: dict[Rule, int] = {}
    for number, raw in enumerate(file.lines, start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        ptype, _, rest = text.partition(",")
        if ptype.strip() != "p":
            raise file.error(number, "every line must be a `p` line", ptype.strip())
        rule = _parse_rule(file, number, rest)
        if rule in rules:
            raise file.error(number, f"same line as line {rules[rule]}", str(rule))
        rules[rule] = number
    return tuple(rules)


def _tables(file: _File, keys: frozenset[str]) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """Each top-level table of a TOML policy file: its name, header line and keys."""
    for name, spec in file.toml().items():
        section = next((n for n, s in enumerate(file.lines, 1) if s.strip() == f"[{name}]"), 1)
        if not isinstance(spec, dict):
            raise file.error(section, "expected a [table]", name)
        unknown = sorted(spec.keys() - keys)
        if unknown:
            raise file.error(file.key_line(unknown[0], section), "unknown key", unknown[0])
        yield name, section, spec


def _read_options(file: _File, base: frozenset[Rule]) -> dict[str, SchoolOption]:
    options: dict[str, SchoolOption] = {}
    for name, section, spec in _tables(file, _OPTION_KEYS):
        description, default = spec.get("description"), spec.get("default")
        if not name.isidentifier() or not name.islower():
            raise file.error(section, "an option name is lower_case", name)
        if not isinstance(description, str) or not description.strip():
            raise file.error(section, "option needs a description", name)
        if not isinstance(default, bool):
            raise file.error(section, "option needs default = true or false", name)
        lists: list[tuple[Rule, ...]] = []
        for key in ("when_on", "when_off"):
            texts = spec.get(key, [])
            if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
                raise file.error(file.key_line(key, section), "must be a list of lines", key)
            rules = tuple(_parse_rule(file, file.line_of(f'"{t}"', section), t) for t in texts)
            for rule in rules:
                if rule in base:
                    line = file.line_of(f'"{rule}"', section)
                    raise file.error(line, "already a line of roles.csv", str(rule))
            lists.append(rules)
        if not lists[0] and not lists[1]:
            raise file.error(section, "option changes nothing", name)
        options[name] = SchoolOption(name, description.strip(), default, lists[0], lists[1])
    return options


def _read_purposes(file: _File) -> dict[Purpose, PurposeEntry]:
    entries: dict[Purpose, PurposeEntry] = {}
    for name, section, spec in _tables(file, _PURPOSE_KEYS):
        notice, sources, kinds = spec.get("notice"), spec.get("sources", []), spec.get("kinds")
        widened = spec.get("widened", "")
        if name not in _PURPOSES:
            raise file.error(section, "unknown purpose", name)
        if not isinstance(notice, str) or not notice.strip() or not isinstance(widened, str):
            raise file.error(section, "purpose needs notice (and optional widened) text", name)
        if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
            raise file.error(section, "sources must be a list of requirement ids", name)
        if not isinstance(kinds, list) or not kinds or len(set(kinds)) != len(kinds):
            raise file.error(section, "purpose needs a list of distinct record kinds", name)
        start = file.key_line("kinds", section) or section
        for kind in kinds:
            if kind not in KINDS:
                raise file.error(file.line_of(f'"{kind}"', start), "unknown record kind", kind)
        purpose = Purpose(name)
        entries[purpose] = PurposeEntry(
            purpose, notice.strip(), tuple(sources), tuple(RecordKind(k) for k in kinds), widened
        )
    missing = [purpose.value for purpose in Purpose if purpose not in entries]
    if missing:
        raise file.error(None, "purpose not defined", missing[0])
    return entries

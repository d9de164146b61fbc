"""What a policy directory says, as values: its lines, options and purposes (no Casbin calls)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import casbin

from app.core.vocabulary import Action, Purpose, RecordKind, Role, Scope

Effect = Literal["allow", "deny"]


class PolicyError(ValueError):
    """A policy file is malformed or names an id the code does not know."""

    def __init__(self, path: Path, line: int | None, message: str, value: object) -> None:
        self.path, self.line, self.value = path, line, value
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}: {value!r}")


@dataclass(frozen=True, slots=True)
class Rule:
    """One policy line: `role` may (allow) or may not (deny) `action` `kind` within `scope`."""

    role: Role
    kind: RecordKind
    action: Action
    scope: Scope
    effect: Effect

    def as_casbin(self) -> list[str]:
        return [self.role, self.kind, self.action, self.scope, self.effect]

    def __str__(self) -> str:
        return ", ".join(self.as_casbin())


@dataclass(frozen=True, slots=True)
class SchoolOption:
    """A feature switch of options.toml and the lines it adds while on or off."""

    name: str
    description: str
    default: bool
    when_on: tuple[Rule, ...]
    when_off: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class PurposeEntry:
    """One purpose of purposes.toml: the notice's wording and the record kinds it covers."""

    purpose: Purpose
    notice: str
    sources: tuple[str, ...]
    kinds: tuple[RecordKind, ...]
    widened: str


@dataclass(slots=True)
class PolicyState:
    """Everything loaded from one reading of the policy directory; replaced whole on reload."""

    model_text: str
    enforcer: casbin.Enforcer
    rules: tuple[Rule, ...]
    options: Mapping[str, SchoolOption]
    purposes: Mapping[Purpose, PurposeEntry]
    covered: frozenset[tuple[str, str]]
    candidates: Mapping[tuple[str, str, str], tuple[Scope, ...]]
    enforcers: dict[frozenset[str], casbin.Enforcer] = field(default_factory=dict)
    cache: dict[tuple[frozenset[str], frozenset[str], str, str], frozenset[Scope]] = field(
        default_factory=dict
    )

"""The access policy of `policies/`, decided with Casbin: pure, no database and no HTTP.

Casbin answers which *scopes* a set of roles may use for an action on a kind of record;
the caller turns each scope into a SQL predicate (DESIGN.md, Principle 2). School options
add allow/deny lines on top of roles.csv; purposes.toml says which record kinds each
purpose of the notice covers (Principle 3).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Final

import casbin

from app.core.policy.loading import ACTIONS, KINDS, ROLES, load
from app.core.policy.rules import PolicyState, PurposeEntry, Rule, SchoolOption
from app.core.vocabulary import Purpose, Scope

DEFAULT_POLICY_DIR: Final = Path(__file__).resolve().parents[3] / "policies"

_NO_SCOPES: Final[frozenset[Scope]] = frozenset()
_NO_OPTIONS: Final[frozenset[str]] = frozenset()


class Policy:
    """The loaded policy directory: decisions by Casbin, cached until `reload()`."""

    def __init__(self, directory: Path | str | None = None) -> None:
        self.directory = Path(directory) if directory is not None else DEFAULT_POLICY_DIR
        self._state = load(self.directory)
        self._cache = self._state.cache

    def reload(self) -> None:
        """Read the directory again (the policy changed) and forget every cached decision.

        On a PolicyError the previous policy stays in force.
        """
        self._state = state = load(self.directory)
        self._cache = state.cache

    def allowed_scopes(
        self,
        roles: frozenset[str],
        kind: str,
        action: str,
        options: frozenset[str] = _NO_OPTIONS,
    ) -> frozenset[Scope]:
        """The scopes within which any of `roles` may perform `action` on `kind`.

        `options` are the school options that are on. Empty means no access.
        """
        try:
            return self._cache[(roles, options, kind, action)]
        except KeyError:
            return self._decide(roles, kind, action, options)

    def _decide(
        self, roles: frozenset[str], kind: str, action: str, options: frozenset[str]
    ) -> frozenset[Scope]:
        state = self._state
        active = options.intersection(state.options)
        enforcer = state.enforcers.get(active)
        if enforcer is None:
            enforcer = state.enforcers[active] = _option_enforcer(state, active)
        scopes = {
            scope
            for role in roles
            for scope in state.candidates.get((role, kind, action), ())
            if enforcer.enforce(role, kind, action, scope)
        }
        allowed = frozenset(scopes) if scopes else _NO_SCOPES
        # Only known ids are cached, so made-up input cannot grow the cache without bound.
        if kind in KINDS and action in ACTIONS and roles <= ROLES and options == active:
            state.cache[(roles, options, kind, action)] = allowed
        return allowed

    def purpose_covers(self, purpose: str, kind: str) -> bool:
        """Whether a read or write of `kind` made for `purpose` is within the notice."""
        return (purpose, kind) in self._state.covered

    def purposes_for(self, kind: str) -> list[str]:
        """The purposes that cover `kind`, in the order of `Purpose`."""
        covered = self._state.covered
        found: list[str] = [purpose for purpose in Purpose if (purpose, kind) in covered]
        return found

    def default_options(self) -> frozenset[str]:
        """The options that are on for a school that has not said otherwise."""
        return frozenset(name for name, option in self._state.options.items() if option.default)

    def option_names(self) -> tuple[str, ...]:
        """Every option of options.toml, in file order."""
        return tuple(self._state.options)

    @property
    def enforcer(self) -> casbin.Enforcer:
        """The Casbin enforcer of model.conf and roles.csv alone, with no option applied."""
        return self._state.enforcer

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The lines of roles.csv, in file order."""
        return self._state.rules

    @property
    def options(self) -> Mapping[str, SchoolOption]:
        return self._state.options

    @property
    def purposes(self) -> Mapping[Purpose, PurposeEntry]:
        return self._state.purposes


@lru_cache(maxsize=1)
def get_policy() -> Policy:
    """The process-wide policy, read from the repository's `policies/` directory."""
    return Policy()


def _option_enforcer(state: PolicyState, active: frozenset[str]) -> casbin.Enforcer:
    """An enforcer holding roles.csv plus the lines of every option as on (`active`) or off."""
    extra: list[list[str]] = []
    for name, option in state.options.items():
        extra.extend(
            rule.as_casbin() for rule in (option.when_on if name in active else option.when_off)
        )
    enforcer = casbin.Enforcer(casbin.Enforcer.new_model(text=state.model_text))
    # Option lines never repeat a roles.csv line (checked on load); two options may share one.
    enforcer.add_policies([rule.as_casbin() for rule in state.rules] + _unique(extra))
    return enforcer


def _unique(lines: Iterable[list[str]]) -> list[list[str]]:
    return [list(line) for line in dict.fromkeys(tuple(line) for line in lines)]

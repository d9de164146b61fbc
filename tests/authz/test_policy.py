"""The policy files and the pure decision module: no database, no HTTP."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterable
from pathlib import Path

import pytest

from app.authz.policy_doc import (
    ACTION_MEANINGS,
    REGENERATE,
    SCOPE_MEANINGS,
    render_policy_readme,
)
from app.core.policy import DEFAULT_POLICY_DIR, Policy, PolicyError, get_policy
from app.core.vocabulary import Action, Purpose, RecordKind, Role, Scope

POLICY_FILES = ("model.conf", "roles.csv", "options.toml", "purposes.toml")


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy()


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    for name in POLICY_FILES:
        shutil.copy(DEFAULT_POLICY_DIR / name, tmp_path / name)
    return tmp_path


def scopes(
    policy: Policy, roles: Iterable[str], kind: str, action: str, options: Iterable[str] = ()
) -> set[str]:
    return set(policy.allowed_scopes(frozenset(roles), kind, action, frozenset(options)))


def every_option_set(policy: Policy) -> list[frozenset[str]]:
    names = policy.option_names()
    return [
        frozenset(combo)
        for n in range(len(names) + 1)
        for combo in itertools.combinations(names, n)
    ]


# --- the generated README ---


def test_readme_is_up_to_date(policy: Policy) -> None:
    on_disk = (DEFAULT_POLICY_DIR / "README.md").read_text(encoding="utf-8")
    assert render_policy_readme(policy) == on_disk, (
        f"policies/README.md is stale: regenerate it with `{REGENERATE}` and commit it"
    )


def test_readme_explains_every_scope_and_action() -> None:
    assert set(SCOPE_MEANINGS) == set(Scope)
    assert set(ACTION_MEANINGS) == set(Action)


# --- DESIGN.md "Default policy", spot-checked with every option at its default ---

DEFAULTS = [
    ("teacher", "member", "list", {"taught_courses"}),
    ("assistant", "member", "read", {"taught_courses"}),
    ("student", "member", "read", {"self"}),
    ("student", "member", "list", set()),
    ("guardian", "member", "read", {"self", "children"}),
    ("school_admin", "member", "delete", {"tenant"}),
    ("school_admin", "member", "export", {"tenant"}),
    ("student", "course", "list", {"enrolled_courses"}),
    ("student", "lesson", "read", {"enrolled_courses"}),
    ("guardian", "lesson", "read", {"children"}),
    ("teacher", "lesson", "update", {"taught_courses"}),
    ("teacher", "course", "update", set()),
    ("assistant", "lesson", "update", set()),
    ("student", "enrollment", "read", {"self"}),
    ("student", "enrollment", "report", {"self"}),
    ("teacher", "enrollment", "report", set()),
    ("school_admin", "attendance", "export", {"tenant"}),
    ("school_admin", "attendance", "update", set()),
    ("teacher", "behaviour", "export", {"taught_courses"}),
    ("assistant", "behaviour", "export", set()),
    ("student", "behaviour", "read", {"self"}),
    ("student", "tool_use", "list", {"self"}),
    ("guardian", "behaviour", "read", {"children"}),
    ("school_admin", "teacher_action", "read", {"tenant"}),
    ("teacher", "teacher_action", "read", {"self"}),
    ("teacher", "courseware_use", "list", {"self"}),
    ("assistant", "courseware_use", "read", set()),
    ("student", "teacher_action", "read", set()),
    ("student", "rollup", "export", {"self"}),
    ("guardian", "rollup", "export", {"children"}),
    ("assistant", "rollup", "export", set()),
    ("school_admin", "recording", "grant", {"tenant"}),
    ("teacher", "recording", "grant", set()),
    ("teacher", "recording", "read", {"taught_courses"}),
    ("student", "recording", "read", {"granted"}),
    ("guardian", "recording", "read", {"granted"}),
    ("school_admin", "snapshot", "read", {"tenant"}),
    ("teacher", "snapshot", "read", set()),
    ("school_admin", "diagnostics", "read", {"tenant"}),
    ("student", "diagnostics", "read", set()),
    ("assistant", "diagnostics", "read", set()),
    ("teacher", "report", "read", {"taught_courses"}),
    ("assistant", "report", "read", set()),
    ("school_admin", "rights_request", "decide", {"tenant"}),
    ("school_admin", "rights_request", "create", set()),
    ("student", "rights_request", "create", {"self"}),
    ("guardian", "rights_request", "create", {"self", "children"}),
    ("teacher", "rights_request", "read", set()),
    ("school_admin", "audit_entry", "export", {"tenant"}),
    ("teacher", "audit_entry", "read", {"subject"}),
    ("student", "audit_entry", "list", {"subject"}),
    ("guardian", "audit_entry", "read", {"subject", "children"}),
    ("school_admin", "api_key", "create", {"tenant"}),
    ("school_admin", "api_key", "export", set()),
    ("school_admin", "support_grant", "delete", {"tenant"}),
    ("school_admin", "notice", "update", {"tenant"}),
    ("teacher", "notice", "update", set()),
    ("teacher", "api_key", "read", set()),
]


@pytest.mark.parametrize(("role", "kind", "action", "expected"), DEFAULTS)
def test_design_default(
    policy: Policy, role: str, kind: str, action: str, expected: set[str]
) -> None:
    assert scopes(policy, {role}, kind, action, policy.default_options()) == expected


@pytest.mark.parametrize(
    ("roles", "kind", "action"),
    [
        ({"school_admin"}, "gradebook", "read"),
        ({"school_admin"}, "member", "impersonate"),
        ({"platform_staff"}, "member", "read"),
        (set(), "member", "read"),
    ],
)
def test_unknown_ids_are_denied(policy: Policy, roles: set[str], kind: str, action: str) -> None:
    assert scopes(policy, roles, kind, action) == set()


def test_scopes_of_several_roles_add_up(policy: Policy) -> None:
    assert scopes(policy, {"teacher", "student"}, "attendance", "read") == {
        "taught_courses",
        "self",
    }


def test_answers_are_scope_enums(policy: Policy) -> None:
    (scope,) = policy.allowed_scopes(frozenset({"teacher"}), "member", "list")
    assert scope is Scope.TAUGHT_COURSES


def test_nobody_may_change_the_audit_log(policy: Policy) -> None:
    for options in every_option_set(policy):
        for role, action in itertools.product(Role, ("create", "update", "delete")):
            assert scopes(policy, {role}, "audit_entry", action, options) == set()


def test_teaching_quality_data_is_never_for_students_or_guardians(policy: Policy) -> None:
    """AUZ-6, whatever the school's options."""
    for options in every_option_set(policy):
        for role, kind, action in itertools.product(
            ("student", "guardian"), ("teacher_action", "courseware_use"), Action
        ):
            assert scopes(policy, {role}, kind, action, options) == set()


def test_students_and_guardians_never_see_diagnostics_or_snapshots(policy: Policy) -> None:
    # AUZ-4, AUZ-7: they reach their own diagnostics only through an access-request export.
    for options in every_option_set(policy):
        for role, kind, action in itertools.product(
            ("student", "guardian"), ("diagnostics", "snapshot"), Action
        ):
            assert scopes(policy, {role}, kind, action, options) == set()


def test_casbin_enforcer_answers_from_model_and_roles(policy: Policy) -> None:
    assert policy.enforcer.enforce("teacher", "member", "list", "taught_courses")
    assert not policy.enforcer.enforce("teacher", "member", "list", "tenant")


# --- school options ---


def test_option_names_and_defaults(policy: Policy) -> None:
    assert policy.option_names() == (
        "students_watch_recordings",
        "class_visible",
        "assistants_see_diagnostics",
    )
    assert policy.default_options() == frozenset()


def test_students_watch_recordings(policy: Policy) -> None:
    on = {"students_watch_recordings"}
    assert scopes(policy, {"student"}, "recording", "read", on) == {"granted", "enrolled_courses"}
    assert scopes(policy, {"guardian"}, "recording", "list", on) == {"granted", "children"}
    assert scopes(policy, {"student"}, "recording", "read") == {"granted"}
    assert scopes(policy, {"student"}, "recording", "delete", on) == set()


def test_class_visible(policy: Policy) -> None:
    on = {"class_visible"}
    for kind in ("attendance", "behaviour", "tool_use"):
        assert scopes(policy, {"student"}, kind, "read", on) == {"self", "class_visible"}
        assert scopes(policy, {"student"}, kind, "read") == {"self"}
    assert scopes(policy, {"student"}, "diagnostics", "read", on) == set()
    assert scopes(policy, {"student"}, "rollup", "read", on) == {"self"}


def test_assistants_see_diagnostics(policy: Policy) -> None:
    on = {"assistants_see_diagnostics"}
    assert scopes(policy, {"assistant"}, "diagnostics", "read", on) == {"taught_courses"}
    assert scopes(policy, {"teacher"}, "diagnostics", "read", on) == set()


def test_every_option_line_makes_a_difference(policy: Policy) -> None:
    for name, option in policy.options.items():
        on, off = frozenset({name}), frozenset[str]()
        for rule, with_line, without_line in [
            *((rule, on, off) for rule in option.when_on),
            *((rule, off, on) for rule in option.when_off),
        ]:
            allowed = {
                options: rule.scope in scopes(policy, {rule.role}, rule.kind, rule.action, options)
                for options in (with_line, without_line)
            }
            assert allowed[with_line] is (rule.effect == "allow"), rule
            assert allowed[without_line] is not allowed[with_line], rule


def test_unknown_option_changes_nothing_and_is_not_cached() -> None:
    fresh = Policy()
    before = len(fresh._cache)
    assert scopes(fresh, {"student"}, "recording", "read", {"no_such_option"}) == {"granted"}
    assert len(fresh._cache) == before


# --- cache and reload ---


def test_cached_answer_is_the_same_object(policy: Policy) -> None:
    roles = frozenset({"teacher"})
    first = policy.allowed_scopes(roles, "attendance", "read")
    assert policy.allowed_scopes(roles, "attendance", "read") is first


def test_reload_forgets_cached_decisions(policy_dir: Path) -> None:
    fresh = Policy(policy_dir)
    assert scopes(fresh, {"teacher"}, "member", "list") == {"taught_courses"}
    roles_csv = policy_dir / "roles.csv"
    roles_csv.write_text(
        roles_csv.read_text().replace("p, teacher, member, list, taught_courses, allow\n", "")
    )
    assert scopes(fresh, {"teacher"}, "member", "list") == {"taught_courses"}  # cached
    fresh.reload()
    assert scopes(fresh, {"teacher"}, "member", "list") == set()
    assert scopes(fresh, {"teacher"}, "member", "read") == {"taught_courses"}


def test_failed_reload_keeps_the_previous_policy(policy_dir: Path) -> None:
    fresh = Policy(policy_dir)
    with (policy_dir / "roles.csv").open("a") as roles_csv:
        roles_csv.write("p, janitor, member, read, tenant, allow\n")
    with pytest.raises(PolicyError):
        fresh.reload()
    assert scopes(fresh, {"teacher"}, "member", "list") == {"taught_courses"}


def test_deny_overrides_allow(policy_dir: Path) -> None:
    with (policy_dir / "roles.csv").open("a") as roles_csv:
        roles_csv.write("p, teacher, member, list, taught_courses, deny\n")
    assert scopes(Policy(policy_dir), {"teacher"}, "member", "list") == set()


def test_get_policy_is_one_per_process() -> None:
    assert get_policy() is get_policy()
    assert get_policy().directory == DEFAULT_POLICY_DIR


# --- validation: an unknown id names file, line and value ---


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("p, janitor, member, read, tenant, allow", "janitor"),
        ("p, teacher, gradebook, read, taught_courses, allow", "gradebook"),
        ("p, teacher, member, peek, taught_courses, allow", "peek"),
        ("p, teacher, member, read, my_courses, allow", "my_courses"),
        ("p, teacher, member, read, taught_courses, maybe", "maybe"),
        ("p, teacher, member, read, taught_courses, allow # why", "allow # why"),
        ("g, alice, teacher", "g"),
    ],
)
def test_unknown_id_in_roles_csv(policy_dir: Path, line: str, value: str) -> None:
    roles_csv = policy_dir / "roles.csv"
    lines = roles_csv.read_text().splitlines()
    roles_csv.write_text("\n".join([*lines, line]) + "\n")
    with pytest.raises(PolicyError) as caught:
        Policy(policy_dir)
    error = caught.value
    assert (error.path, error.line, error.value) == (roles_csv, len(lines) + 1, value)
    assert f"roles.csv:{len(lines) + 1}:" in str(error)
    assert repr(value) in str(error)


def test_duplicate_line_in_roles_csv(policy_dir: Path) -> None:
    with (policy_dir / "roles.csv").open("a") as roles_csv:
        roles_csv.write("p, teacher, member, list, taught_courses, allow\n")
    with pytest.raises(PolicyError, match="same line as line"):
        Policy(policy_dir)


def _replace_and_find(path: Path, old: str, new: str) -> int:
    """Replace `old` (found once) by `new` in `path`; the line number where `new` starts."""
    text = path.read_text()
    assert text.count(old) == 1
    path.write_text(text.replace(old, new))
    return text[: text.index(old)].count("\n") + 1


def test_unknown_kind_in_options_toml(policy_dir: Path) -> None:
    options = policy_dir / "options.toml"
    line = _replace_and_find(
        options,
        '"student, recording, read, enrolled_courses, allow"',
        '"student, recordings, read, enrolled_courses, allow"',
    )
    with pytest.raises(PolicyError) as caught:
        Policy(policy_dir)
    assert (caught.value.path, caught.value.line, caught.value.value) == (
        options,
        line,
        "recordings",
    )


def test_unknown_key_in_options_toml(policy_dir: Path) -> None:
    options = policy_dir / "options.toml"
    line = _replace_and_find(
        options, "when_off = []\n\n[class_visible]", "when_of = []\n\n[class_visible]"
    )
    with pytest.raises(PolicyError) as caught:
        Policy(policy_dir)
    assert (caught.value.line, caught.value.value) == (line, "when_of")


def test_unknown_kind_in_purposes_toml(policy_dir: Path) -> None:
    purposes = policy_dir / "purposes.toml"
    line = _replace_and_find(purposes, '"support_grant",', '"support_grants",')
    with pytest.raises(PolicyError) as caught:
        Policy(policy_dir)
    assert (caught.value.path, caught.value.line, caught.value.value) == (
        purposes,
        line,
        "support_grants",
    )


def test_unknown_purpose_in_purposes_toml(policy_dir: Path) -> None:
    purposes = policy_dir / "purposes.toml"
    line = _replace_and_find(purposes, "[account]", "[marketing]")
    with pytest.raises(PolicyError) as caught:
        Policy(policy_dir)
    assert (caught.value.line, caught.value.value) == (line, "marketing")


def test_model_must_deny_override(policy_dir: Path) -> None:
    model = policy_dir / "model.conf"
    _replace_and_find(model, " && !some(where (p.eft == deny))", "")  # allow-override
    with pytest.raises(PolicyError, match="deny-override"):
        Policy(policy_dir)


# --- purposes ---


def test_every_purpose_and_record_kind_is_registered(policy: Policy) -> None:
    assert set(policy.purposes) == set(Purpose)
    for kind in RecordKind:
        assert policy.purposes_for(kind), f"no purpose covers {kind}"


@pytest.mark.parametrize(
    ("purpose", "kind", "covered"),
    [
        ("teaching_quality", "teacher_action", True),
        ("teaching_quality", "courseware_use", True),
        ("teaching_management", "snapshot", True),
        ("technical_support", "diagnostics", True),
        ("learning_record", "recording", True),
        ("learning_record", "teacher_action", False),
        ("learning_record", "diagnostics", False),
        ("learning_record", "snapshot", False),
        ("technical_support", "recording", False),
        ("account", "attendance", False),
        ("marketing", "member", False),
        ("account", "gradebook", False),
    ],
)
def test_purpose_covers(policy: Policy, purpose: str, kind: str, covered: bool) -> None:
    assert policy.purpose_covers(purpose, kind) is covered


def test_purposes_for(policy: Policy) -> None:
    """PUR-11: monitoring images serve teaching management only (and the subject's rights)."""
    assert policy.purposes_for("snapshot") == ["teaching_management", "rights_handling"]
    assert policy.purposes_for("gradebook") == []


def test_subject_access_reaches_everything_a_subject_can_read(policy: Policy) -> None:
    readable = {
        kind
        for kind, role, options in itertools.product(
            RecordKind, ("student", "guardian"), every_option_set(policy)
        )
        if scopes(policy, {role}, kind, "read", options)
    }
    for kind in readable | {RecordKind.DIAGNOSTICS}:
        assert policy.purpose_covers("rights_handling", kind), kind

"""A school's options as decisions see them: its file's choice, else the option's default."""

from __future__ import annotations

import shutil
from pathlib import Path

import app.tenancy.deps as tenancy_deps
from app.accounts.models import Account
from app.core.policy import DEFAULT_POLICY_DIR, Policy
from app.tenancy.deps import Member
from app.tenancy.models import Tenant


def member(options: dict[str, object]) -> Member:
    tenant = Tenant(slug="s", name="S", region="CN", options=options)
    account = Account(phone_hash="h", phone_enc="e", phone_masked="m")
    return Member(tenant=tenant, account=account, roles=frozenset({"student"}))


def test_options_the_file_turns_on_and_nothing_it_does_not_know():
    on = member({"class_visible": True, "students_watch_recordings": False, "made_up": True})
    assert on.options == frozenset({"class_visible"})
    assert member({}).options == frozenset()


def test_an_option_the_file_is_silent_about_takes_its_default(tmp_path: Path, monkeypatch):
    for name in ("model.conf", "roles.csv", "options.toml", "purposes.toml"):
        shutil.copy(DEFAULT_POLICY_DIR / name, tmp_path / name)
    options = tmp_path / "options.toml"
    text = options.read_text()
    head, _, tail = text.partition("[assistants_see_diagnostics]")
    options.write_text(
        head + "[assistants_see_diagnostics]" + tail.replace("default = false", "default = true", 1)
    )
    policy = Policy(tmp_path)
    assert policy.default_options() == frozenset({"assistants_see_diagnostics"})
    monkeypatch.setattr(tenancy_deps, "get_policy", lambda: policy)
    assert member({}).options == frozenset({"assistants_see_diagnostics"})
    assert member({"assistants_see_diagnostics": False}).options == frozenset()
    both = member({"class_visible": True}).options
    assert both == frozenset({"class_visible", "assistants_see_diagnostics"})

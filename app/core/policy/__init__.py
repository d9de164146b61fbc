"""The access policy (`policies/`): pure, no database and no HTTP, usable by every domain.

`rules` holds the values a policy directory says, `loading` reads and checks the files,
`decisions` answers with Casbin (cached until reload).
"""

from app.core.policy.decisions import DEFAULT_POLICY_DIR, Policy, get_policy
from app.core.policy.rules import PolicyError, PurposeEntry, Rule, SchoolOption

__all__ = [
    "DEFAULT_POLICY_DIR",
    "Policy",
    "PolicyError",
    "PurposeEntry",
    "Rule",
    "SchoolOption",
    "get_policy",
]

"""Demo accounts: one per role, with no password and no row in ``users``.

A demo session is opened with the start token (``start_token``) and only while ``bootstrap.demo_signin_open``
holds. The names are reserved, so the rule "a demo account cannot create or change accounts or roles"
(``users``) can be checked from the acting username alone, wherever the call comes from.
"""

from __future__ import annotations

from cem_core.auth.roles import ROLES

DEMO_ROLES: tuple[str, ...] = ROLES
_PREFIX = "demo_"


def demo_username(role: str) -> str:
    return f"{_PREFIX}{role}"


DEMO_USERNAMES = frozenset(demo_username(r) for r in DEMO_ROLES)


def is_demo_username(name: str) -> bool:
    """Whether ``name`` (as stored: trimmed, lower-case) is one of the reserved demo account names."""
    return (name or "").strip().lower() in DEMO_USERNAMES
